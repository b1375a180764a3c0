"""sagemaker-core against the local stack: the registry, endpoint -> config -> model, invoke.

Run by tests/clients with .venv-clients/bin/python; argv[1] is JSON ({"group", "endpoint"}),
the answer is one JSON line on stdout. The environment points boto3 at the stack
(AWS_ENDPOINT_URL), as a user does.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import boto3
from sagemaker_core.main.utils import Unassigned
from sagemaker_core.resources import (
    Endpoint,
    EndpointConfig,
    Model,
    ModelPackage,
    ModelPackageGroup,
)


def _set(value: Any) -> Any:
    return None if isinstance(value, Unassigned) else value


def _container(model: Model) -> dict[str, Any]:
    container = _set(model.primary_container) or (_set(model.containers) or [None])[0]
    if container is None:
        return {}
    return {
        "image": _set(container.image),
        "model_data_url": _set(container.model_data_url),
        "model_package_name": _set(container.model_package_name),
    }


def main() -> None:
    params = json.loads(sys.argv[1])
    session = boto3.Session(region_name="us-east-1")
    group = ModelPackageGroup.get(model_package_group_name=params["group"], session=session)
    # ModelPackage.get_all cannot list versioned packages (on AWS neither: their summaries
    # have no ModelPackageName to refresh by); the ARNs come from ListModelPackages
    summaries = session.client("sagemaker").list_model_packages(
        ModelPackageGroupName=params["group"]
    )["ModelPackageSummaryList"]
    packages = [
        ModelPackage.get(model_package_name=summary["ModelPackageArn"], session=session)
        for summary in summaries
    ]
    endpoint = Endpoint.get(endpoint_name=params["endpoint"], session=session)
    config = EndpointConfig.get(endpoint_config_name=endpoint.endpoint_config_name, session=session)
    models = [
        Model.get(model_name=variant.model_name, session=session)
        for variant in config.production_variants
    ]
    answer = endpoint.invoke(body="0.5,0.25,1.0", content_type="text/csv")
    print(
        json.dumps(
            {
                "group": group.model_package_group_name,
                "group_status": str(group.model_package_group_status),
                "packages": {p.model_package_arn: str(p.model_approval_status) for p in packages},
                "endpoint_status": str(endpoint.endpoint_status),
                "endpoint_config": config.endpoint_config_name,
                "variants": [v.variant_name for v in config.production_variants],
                "models": {m.model_name: _container(m) for m in models},
                "vpc_config": [str(_set(m.vpc_config)) for m in models],
                "invoked_variant": answer.invoked_production_variant,
                "body": answer.body.read().decode(),
            }
        )
    )


if __name__ == "__main__":
    main()
