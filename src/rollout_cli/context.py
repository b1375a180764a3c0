"""Where the operator commands talk to: real AWS (profile/region) or the local stack.

``--local`` means ``http://127.0.0.1:4566`` unless ``--endpoint-url`` says otherwise;
``AWS_ENDPOINT_URL`` in the environment works as well (boto3 reads it). The stack's
resources come from its CloudFormation outputs (``--stack-name``, default
``model-rollout``); where there is no CloudFormation stack (the embedded local stack
deploys the template without one) they are found by listing tables and state machines.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

LOCAL_ENDPOINT = "http://127.0.0.1:4566"
DEFAULT_STACK = "model-rollout"


class CliError(Exception):
    """A problem the operator can act on; the CLI prints it and exits 1."""


@dataclass
class Context:
    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None
    stack_name: str = DEFAULT_STACK
    _clients: dict[str, Any] = field(default_factory=dict)
    # the console serves requests on threads: one client per service, made once
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def create(
        cls,
        *,
        local: bool = False,
        endpoint_url: str | None = None,
        profile: str | None = None,
        region: str | None = None,
        stack_name: str = DEFAULT_STACK,
    ) -> Context:
        url = endpoint_url or (LOCAL_ENDPOINT if local else None)
        if url:
            # the local contract: dummy identity, us-east-1 (unless the operator says otherwise)
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
            region = region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        return cls(endpoint_url=url, profile=profile, region=region, stack_name=stack_name)

    @cached_property
    def session(self) -> Any:
        import boto3

        return boto3.Session(profile_name=self.profile, region_name=self.region)

    def client(self, service: str) -> Any:
        with self._lock:
            return self._client(service)

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            kwargs: dict[str, Any] = {
                "config": Config(retries={"mode": "standard", "max_attempts": 5})
            }
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            self._clients[service] = self.session.client(service, **kwargs)
        return self._clients[service]

    # ------------------------------------------------------------------ the stack
    @cached_property
    def outputs(self) -> dict[str, str]:
        """The CloudFormation stack's outputs; empty where there is no such stack."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            stacks = self.client("cloudformation").describe_stacks(StackName=self.stack_name)
        except (ClientError, BotoCoreError):
            return {}
        found = stacks.get("Stacks") or [{}]
        return {o["OutputKey"]: o["OutputValue"] for o in found[0].get("Outputs", [])}

    def _table(self, output: str, logical_id: str) -> str:
        if output in self.outputs:
            return self.outputs[output]
        names: list[str] = []
        for page in self.client("dynamodb").get_paginator("list_tables").paginate():
            names.extend(page["TableNames"])
        matches = [n for n in names if logical_id in n]
        preferred = [n for n in matches if n.startswith(f"{self.stack_name}-")] or matches
        if not preferred:
            raise CliError(
                f"no {logical_id} found: stack {self.stack_name!r} has no output {output} "
                f"and no DynamoDB table is named like it (tables: {', '.join(names) or 'none'})"
            )
        return sorted(preferred)[0]

    @cached_property
    def deployments_table(self) -> str:
        return self._table("DeploymentsTableName", "DeploymentsTable")

    @cached_property
    def waiters_table(self) -> str:
        return self._table("WaitersTableName", "WaitersTable")

    @cached_property
    def ab_results_table(self) -> str:
        return self._table("ABResultsTableName", "ABResultsTable")

    @cached_property
    def state_machine_arn(self) -> str:
        if "DeployModelStateMachineArn" in self.outputs:
            return self.outputs["DeployModelStateMachineArn"]
        machines: list[dict[str, Any]] = []
        for page in self.client("stepfunctions").get_paginator("list_state_machines").paginate():
            machines.extend(page["stateMachines"])
        matches = [m for m in machines if "DeployModel" in m["name"]]
        preferred = [m for m in matches if m["name"].startswith(f"{self.stack_name}-")] or matches
        if not preferred:
            raise CliError(
                f"no deploy-model state machine found (stack {self.stack_name!r}; machines: "
                f"{', '.join(m['name'] for m in machines) or 'none'})"
            )
        return str(sorted(preferred, key=lambda m: m["name"])[0]["stateMachineArn"])

    @cached_property
    def reports_bucket(self) -> str | None:
        if "ReportsBucketName" in self.outputs:
            return self.outputs["ReportsBucketName"]
        buckets = self.client("s3").list_buckets().get("Buckets", [])
        matches = sorted(b["Name"] for b in buckets if "reportsbucket" in b["Name"].lower())
        return matches[0] if matches else None
