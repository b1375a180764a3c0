"""Every deployment's report is written to the reports bucket by the state machine itself
(Finalize, FinishRollback, RecordFailure), and its location is in the deployment record.

(The steps' structured logs and EMF metrics are tested at the handlers:
tests/integration/test_step_observability.py.)"""

from __future__ import annotations

from tests.cli.conftest import Story

from rollout_local.workbench import Workbench


def test_every_deployment_writes_its_report_to_the_reports_bucket(
    story: Story, cli_bench: Workbench
) -> None:
    s3 = cli_bench.client("s3")
    bucket = next(
        b["Name"] for b in s3.list_buckets()["Buckets"] if "reportsbucket" in b["Name"].lower()
    )
    records = cli_bench.client("dynamodb")
    table = next(t for t in records.list_tables()["TableNames"] if "DeploymentsTable" in t)
    for version, execution in story.executions.items():
        item = records.get_item(TableName=table, Key={"deployment_id": {"S": execution["name"]}})
        url = item["Item"]["details"]["M"]["report_url"]["S"]
        key = f"reports/{story.scenario.endpoint}/{execution['name']}.html"
        assert url == f"s3://{bucket}/{key}", version
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        assert body.startswith("<!DOCTYPE html>") and 'data-chart="weights"' in body
        assert execution["name"] in body
