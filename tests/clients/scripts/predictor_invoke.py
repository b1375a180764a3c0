"""The classic SageMaker SDK's Predictor against the local stack: predict on an endpoint.

Run by tests/clients with .venv-clients/bin/python; argv[1] is JSON ({"endpoint", "rows"}),
the answer is one JSON line on stdout. The environment points boto3 at the stack
(AWS_ENDPOINT_URL), as a user does.
"""

from __future__ import annotations

import json
import sys

import boto3
from sagemaker.deserializers import CSVDeserializer
from sagemaker.predictor import Predictor
from sagemaker.serializers import CSVSerializer
from sagemaker.session import Session


def main() -> None:
    params = json.loads(sys.argv[1])
    session = Session(boto_session=boto3.Session(region_name="us-east-1"))
    predictor = Predictor(
        endpoint_name=params["endpoint"],
        sagemaker_session=session,
        serializer=CSVSerializer(),
        deserializer=CSVDeserializer(),
    )
    answers = [predictor.predict(row) for row in params["rows"]]
    endpoint = session.sagemaker_client.describe_endpoint(EndpointName=params["endpoint"])
    print(
        json.dumps(
            {
                "answers": answers,
                "content_type": predictor.content_type,
                "endpoint_status": endpoint["EndpointStatus"],
            }
        )
    )


if __name__ == "__main__":
    main()
