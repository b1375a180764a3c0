"""A moto-mocked AWS for adapter and handler tests, shaped like template.yaml.

``mocked_aws()`` sets the environment the template gives every function (and the
Powertools test switches), resets the per-container caches (clients, settings), and starts
``mock_aws``. ``RolloutWorld`` creates what the control plane reads: the deployments table,
policies in SSM, model packages with quality reports in S3, serving endpoints.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws
from tests.helpers.documents import ACCOUNT, LINEAGE, REGION, quality_report

from model_rollout.adapters.aws import default_client
from model_rollout.config import settings

DEPLOYMENTS_TABLE = "test-deployments"
POLICY_PREFIX = "/model-rollout/policies/"
RESOURCE_PREFIX = "mr"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/model-rollout-sagemaker"
REPORT_BUCKET = "model-reports"

ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_NAMESPACE": "ModelRolloutTest",
    "POWERTOOLS_SERVICE_NAME": "model-rollout",
    "POWERTOOLS_DEV": "0",
}

# What template.yaml gives the functions (Globals, then the functions' own variables), with
# the tests' names: model_rollout.config requires every one of them.
TEMPLATE_ENVIRONMENT = {
    "DEPLOYMENTS_TABLE": DEPLOYMENTS_TABLE,
    "WAITERS_TABLE": "test-waiters",
    "LOCKS_TABLE": "test-locks",
    "POLICY_PARAMETER_PREFIX": POLICY_PREFIX,
    "RESOURCE_PREFIX": RESOURCE_PREFIX,
    "RETAINED_RELEASES": "3",
    "ENDPOINT_WAIT_SECONDS": "900",
    "SAGEMAKER_EXECUTION_ROLE_ARN": ROLE_ARN,
    "ENDPOINT_LOCK_POLL_SECONDS": "300",
    "ENDPOINT_LOCK_LEASE_SECONDS": "172800",
    "ALLOWED_EVENT_ACCOUNTS": "",
    "STACK_ACCOUNT_ID": ACCOUNT,
    "STACK_REGION": REGION,
    "REPORTS_BUCKET": "",  # no deployment reports unless a test names a bucket
    "INFERENCE_BUCKET": "model-rollout-inference",
    "ASYNC_SUCCESS_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:model-rollout-async-success",
    "ASYNC_ERROR_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:model-rollout-async-error",
    # PrepareTransformFunction
    "BATCH_INPUT_PREFIX": "batch/incoming/",
    "TRANSFORM_WAIT_SECONDS": "86400",
    # SubmitAsyncFunction, AsyncResultFunction, AsyncStatusFunction
    "ASYNC_REQUESTS_TABLE": "model-rollout-async-requests",
    "ASYNC_ALLOWED_BUCKETS": "",
    # EvaluateABFunction
    "AB_RESULTS_TABLE": "model-rollout-ab-results",
}
ENVIRONMENT.update(TEMPLATE_ENVIRONMENT)


def _reset_caches() -> None:
    default_client.cache_clear()
    settings.cache_clear()


@contextmanager
def mocked_aws() -> Iterator[RolloutWorld]:
    with mock.patch.dict(os.environ, ENVIRONMENT):
        os.environ.pop("AWS_ENDPOINT_URL", None)
        _reset_caches()
        try:
            with mock_aws():
                world = RolloutWorld()
                world.create_deployments_table()
                world.create_locks_table()
                yield world
        finally:
            _reset_caches()


class RolloutWorld:
    def __init__(self) -> None:
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self._bucket = False
        self._reports = 0
        self._groups: set[str] = set()

    # ------------------------------------------------------------------ state
    def create_locks_table(self) -> None:
        """As template.yaml's EndpointLocksTable."""
        self.dynamodb.create_table(
            TableName="test-locks",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "endpoint_name", "AttributeType": "S"},
                {"AttributeName": "entry", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "endpoint_name", "KeyType": "HASH"},
                {"AttributeName": "entry", "KeyType": "RANGE"},
            ],
        )

    def create_deployments_table(self) -> None:
        """As template.yaml's DeploymentsTable."""
        self.dynamodb.create_table(
            TableName=DEPLOYMENTS_TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "deployment_id", "AttributeType": "S"},
                {"AttributeName": "endpoint_name", "AttributeType": "S"},
                {"AttributeName": "started_at", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "deployment_id", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-endpoint",
                    "KeySchema": [
                        {"AttributeName": "endpoint_name", "KeyType": "HASH"},
                        {"AttributeName": "started_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )

    def item(self, deployment_id: str) -> dict[str, Any] | None:
        from boto3.dynamodb.types import TypeDeserializer

        response = self.dynamodb.get_item(
            TableName=DEPLOYMENTS_TABLE, Key={"deployment_id": {"S": deployment_id}}
        )
        raw = response.get("Item")
        if raw is None:
            return None
        return {k: TypeDeserializer().deserialize(v) for k, v in raw.items()}

    # ------------------------------------------------------------------ policy
    def put_policy(self, group: str, document: dict[str, Any] | str) -> str:
        name = f"{POLICY_PREFIX}{group}"
        value = document if isinstance(document, str) else json.dumps(document)
        self.ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
        return name

    # ------------------------------------------------------------------ registry
    def put_report(self, report: dict[str, Any] | str | bytes) -> str:
        if not self._bucket:
            self.s3.create_bucket(Bucket=REPORT_BUCKET)
            self._bucket = True
        self._reports += 1
        key = f"evaluation/{self._reports}/evaluation.json"
        body = report if isinstance(report, str | bytes) else json.dumps(report)
        self.s3.put_object(Bucket=REPORT_BUCKET, Key=key, Body=body)
        return f"s3://{REPORT_BUCKET}/{key}"

    def create_package(
        self,
        group: str,
        *,
        accuracy: float | None = 0.9,
        report: dict[str, Any] | str | None = None,
        report_uri: str | None = None,
        metadata: dict[str, str] | None = None,
        status: str = "Approved",
    ) -> str:
        if group not in self._groups:
            self.sagemaker.create_model_package_group(ModelPackageGroupName=group)
            self._groups.add(group)
        kwargs: dict[str, Any] = {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": status,
            "CustomerMetadataProperties": dict(LINEAGE if metadata is None else metadata),
            "InferenceSpecification": {
                "Containers": [{"Image": "img:1", "ModelDataUrl": "s3://models/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        }
        if report_uri is None and report is not None:
            report_uri = self.put_report(report)
        elif report_uri is None and accuracy is not None:
            report_uri = self.put_report(quality_report(accuracy))
        if report_uri is not None:
            kwargs["ModelMetrics"] = {
                "ModelQuality": {
                    "Statistics": {"ContentType": "application/json", "S3Uri": report_uri}
                }
            }
        return str(self.sagemaker.create_model_package(**kwargs)["ModelPackageArn"])

    # ------------------------------------------------------------------ endpoints
    def serve(
        self,
        endpoint_name: str,
        *,
        model_package_arn: str | None,
        variant_name: str = "blue",
        model_name: str = "blue-model",
        instance_type: str = "ml.c5.xlarge",
        instance_count: int = 2,
    ) -> str:
        """An endpoint already serving (as a previous deployment left it)."""
        self.sagemaker.create_model(
            ModelName=model_name,
            Containers=[{"ModelPackageName": model_package_arn or "arn:unknown"}],
            ExecutionRoleArn=ROLE_ARN,
        )
        config = f"{endpoint_name}-config-old"
        self.sagemaker.create_endpoint_config(
            EndpointConfigName=config,
            ProductionVariants=[
                {
                    "VariantName": variant_name,
                    "ModelName": model_name,
                    "InitialInstanceCount": instance_count,
                    "InstanceType": instance_type,
                    "InitialVariantWeight": 1.0,
                }
            ],
        )
        tags = (
            [{"Key": "rollout:model-package-arn", "Value": model_package_arn}]
            if model_package_arn
            else []
        )
        self.sagemaker.create_endpoint(
            EndpointName=endpoint_name, EndpointConfigName=config, Tags=tags
        )
        return config
