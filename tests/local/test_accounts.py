"""Several AWS accounts in one local stack: the real template deployed into two of them.

A "staging" stack in 111111111111 and a "production" stack in 222222222222, beside the
session's stack in the default account: each resource acts in its own account; STS role
assumption between them follows the roles' trust policies; assumed-role sessions are
allowed only what their role's policies allow, with AWS's error shapes.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from tests.e2e.scenario import Scenario
from tests.local.support import wait_for

from rollout_local import accounts, lambda_runtime
from rollout_local.local_model import load_model
from rollout_local.server import LocalStack
from rollout_local.workbench import Workbench, linear_model

STAGING = "111111111111"
PRODUCTION = "222222222222"
DEFAULT = accounts.DEFAULT_ACCOUNT_ID
REGION = "us-east-1"


@pytest.fixture(scope="module")
def two_accounts(local_stack: LocalStack) -> dict[str, Any]:
    """The real template as stack ``staging`` in 111… and ``production`` in 222…."""
    overrides = {"EndpointLockPollSeconds": "2"}
    return {
        STAGING: local_stack.deploy(
            local_stack.template_path,
            stack_name="staging",
            parameter_overrides=overrides,
            account_id=STAGING,
        ),
        PRODUCTION: local_stack.deploy(
            local_stack.template_path,
            stack_name="production",
            parameter_overrides=overrides,
            account_id=PRODUCTION,
        ),
    }


def trust(*principals: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": list(principals)},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def allow(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def session_client(stack: LocalStack, service: str, credentials: dict[str, Any]) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.endpoint_url,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def denied(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = error.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


@pytest.fixture(scope="module")
def publisher(two_accounts: dict[str, Any], local_stack: LocalStack) -> dict[str, Any]:
    """A role in production, trusted only by staging, allowed only ``events:PutEvents`` on
    production's default bus; a session of it assumed from staging."""
    name = f"publisher-{uuid.uuid4().hex[:8]}"
    iam = local_stack.client("iam", PRODUCTION)
    role_arn = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{STAGING}:root")
    )["Role"]["Arn"]
    bus = f"arn:aws:events:{REGION}:{PRODUCTION}:event-bus/default"
    iam.put_role_policy(
        RoleName=name,
        PolicyName="publish",
        PolicyDocument=allow({"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus}),
    )
    assumed = local_stack.client("sts", STAGING).assume_role(
        RoleArn=role_arn, RoleSessionName="release"
    )
    return {"role_arn": role_arn, "name": name, "credentials": assumed["Credentials"]}


# ---------------------------------------------------------------- deployment per account


def test_each_stack_lives_in_its_own_account(
    two_accounts: dict[str, Any], local_stack: LocalStack
) -> None:
    for account, stack in two_accounts.items():
        assert stack.account_id == account
        machines = local_stack.client("stepfunctions", account).list_state_machines()
        arns = [m["stateMachineArn"] for m in machines["stateMachines"]]
        assert arns and all(f":{account}:stateMachine:" in arn for arn in arns), arns
        assert any(f":stateMachine:{stack.stack_name}-" in arn for arn in arns)
        functions = local_stack.client("lambda", account).list_functions()["Functions"]
        assert functions and all(f["FunctionName"].startswith(stack.stack_name) for f in functions)
    default = local_stack.client("lambda").list_functions()["Functions"]
    assert not any(f["FunctionName"].startswith(("staging-", "production-")) for f in default)


def test_an_approval_in_staging_runs_stagings_machine_and_its_lambdas_act_in_staging(
    two_accounts: dict[str, Any], local_stack: LocalStack
) -> None:
    bench = Workbench(endpoint_url=local_stack.endpoint_url, account_id=STAGING)
    scenario = Scenario(bench=bench, group="acct-staging", endpoint="acct-staging-endpoint")
    scenario.policy()
    arn, execution = scenario.deploy()

    assert arn.startswith(f"arn:aws:sagemaker:{REGION}:{STAGING}:model-package/")
    assert execution["status"] == "SUCCEEDED", bench.explain(execution)
    assert f":{STAGING}:execution:staging-DeployModelStateMachine:" in execution["executionArn"]
    described = bench.describe_endpoint(scenario.endpoint)
    assert described is not None and described["EndpointStatus"] == "InService"
    assert f":{STAGING}:endpoint/" in described["EndpointArn"]
    # the handlers created it in staging only
    for other in (PRODUCTION, None):
        elsewhere = Workbench(endpoint_url=local_stack.endpoint_url, account_id=other)
        assert elsewhere.describe_endpoint(scenario.endpoint) is None
    # ... wrote their deployment record to staging's table and their logs to staging's logs
    table = two_accounts[STAGING].resources["DeploymentsTable"]
    items = local_stack.client("dynamodb", STAGING).scan(TableName=table)["Items"]
    assert any(scenario.endpoint in json.dumps(item) for item in items)
    groups = local_stack.client("logs", STAGING).describe_log_groups(
        logGroupNamePrefix="/aws/lambda/staging-"
    )["logGroups"]
    assert groups
    default_groups = local_stack.client("logs").describe_log_groups(
        logGroupNamePrefix="/aws/lambda/staging-"
    )["logGroups"]
    assert default_groups == []
    # production's machine never ran
    production = Workbench(endpoint_url=local_stack.endpoint_url, account_id=PRODUCTION)
    listed = production.client("stepfunctions").list_executions(
        stateMachineArn=production.state_machine_arn()
    )["executions"]
    assert listed == []


def test_an_alarm_under_live_traffic_rolls_production_back_in_production(
    two_accounts: dict[str, Any], local_stack: LocalStack
) -> None:
    """Invocations, their metrics, the alarms' evaluation and their events all stay in
    production: its deployment sees its alarm fire and rolls back."""
    bench = Workbench(endpoint_url=local_stack.endpoint_url, account_id=PRODUCTION)
    scenario = Scenario(bench=bench, group="acct-production", endpoint="acct-prod-endpoint")
    scenario.policy()
    v1, first = scenario.deploy()
    assert first["status"] == "SUCCEEDED", bench.explain(first)
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 60})

    with bench.traffic(scenario.endpoint, rate_per_second=30):
        _, execution = scenario.deploy(error_rate=0.5)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert f":{PRODUCTION}:execution:" in execution["executionArn"]
    assert scenario.tags()["rollout:model-package-arn"] == v1
    history = local_stack.client("cloudwatch", PRODUCTION).describe_alarm_history(
        HistoryItemType="StateUpdate"
    )["AlarmHistoryItems"]
    assert any(scenario.endpoint in item["AlarmName"] for item in history)
    default = local_stack.client("cloudwatch").describe_alarm_history(
        HistoryItemType="StateUpdate"
    )["AlarmHistoryItems"]
    assert not any(scenario.endpoint in item["AlarmName"] for item in default)


def test_a_model_reads_an_artifact_of_a_bucket_owned_by_another_account(
    local_stack: LocalStack,
) -> None:
    url = Workbench(endpoint_url=local_stack.endpoint_url).upload_model(
        f"cross-{uuid.uuid4().hex[:6]}", linear_model([0.5, 0.5])
    )
    model = load_model(url, STAGING)  # the bucket is the default account's
    assert list(model.weights) == [0.5, 0.5]


# ---------------------------------------------------------------- Step Functions per account


def test_an_execution_and_its_branches_and_callbacks_act_in_the_state_machines_account(
    two_accounts: dict[str, Any], local_stack: LocalStack
) -> None:
    name = f"acct-{uuid.uuid4().hex[:8]}"
    local_stack.client("ssm", STAGING).put_parameter(Name=name, Value="staging", Type="String")
    local_stack.client("ssm").put_parameter(Name=name, Value="default", Type="String")
    queue = local_stack.client("sqs", STAGING).create_queue(QueueName=name)["QueueUrl"]
    read = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:ssm:getParameter",
        "Parameters": {"Name": name},
        "ResultSelector": {"value.$": "$.Parameter.Value"},
        "End": True,
    }
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Read", "States": {"Read": read}}],
                "ResultPath": "$.both",
                "Next": "Callback",
            },
            "Callback": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": queue,
                    "MessageBody": {"token.$": "$$.Task.Token"},
                },
                "ResultPath": "$.callback",
                "End": True,
            },
        },
    }
    sfn = local_stack.client("stepfunctions", STAGING)
    machine = sfn.create_state_machine(
        name=name,
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{STAGING}:role/{name}",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]

    sqs = local_stack.client("sqs", STAGING)

    def token() -> str | None:
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", [])
        return json.loads(messages[0]["Body"])["token"] if messages else None

    task_token = wait_for(token, timeout=20, what="the callback task's message in staging")
    sfn.send_task_success(taskToken=task_token, output=json.dumps({"done": True}))

    def ended() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=execution)
        return described if described["status"] != "RUNNING" else None

    described = wait_for(ended, timeout=20, what="the execution's end")
    history = sfn.get_execution_history(executionArn=execution, reverseOrder=True)["events"]
    assert described["status"] == "SUCCEEDED", json.dumps(history[:4], default=str)
    output = json.loads(described["output"])
    assert output == {"both": [{"value": "staging"}], "callback": {"done": True}}


# ---------------------------------------------------------------- Lambda per account


HANDLER = """
import boto3


def handler(event, context):
    if "detail" in event:  # delivered by an EventBridge rule: record who ran it
        account = boto3.client("sts").get_caller_identity()["Account"]
        boto3.client("ssm").put_parameter(
            Name=event["detail"]["parameter"], Value=account, Type="String"
        )
        return account
    if "role_arn" in event:
        credentials = boto3.client("sts").assume_role(
            RoleArn=event["role_arn"], RoleSessionName="handler"
        )["Credentials"]
        session = boto3.client(
            "sts",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        return session.get_caller_identity()["Account"]
    return boto3.client("sts").get_caller_identity()["Account"]
"""

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  WhoAmIFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: who-am-i
      CodeUri: code/
      Handler: app.handler
      Runtime: python3.13
      Events:
        Asked:
          Type: EventBridgeRule
          Properties:
            Pattern:
              source: [test.who-am-i]
"""


@pytest.fixture(scope="module")
def who_am_i(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("who-am-i")
    (root / "code").mkdir()
    (root / "code" / "app.py").write_text(textwrap.dedent(HANDLER), encoding="utf-8")
    (root / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    for account in (STAGING, PRODUCTION):
        local_stack.deploy(root / "template.yaml", stack_name=f"who-{account}", account_id=account)
    yield root


def invoke(local_stack: LocalStack, account: str, event: dict[str, Any]) -> Any:
    response = local_stack.client("lambda", account).invoke(
        FunctionName="who-am-i", Payload=json.dumps(event).encode()
    )
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return body


def test_functions_of_one_name_in_two_accounts_run_as_their_own_account(
    who_am_i: Path, local_stack: LocalStack
) -> None:
    assert lambda_runtime.registered("who-am-i", STAGING) is not None
    assert lambda_runtime.registered("who-am-i", PRODUCTION) is not None
    assert lambda_runtime.registered("who-am-i") is None
    assert invoke(local_stack, STAGING, {}) == STAGING
    assert invoke(local_stack, PRODUCTION, {}) == PRODUCTION


def test_eventbridge_delivers_to_the_function_of_the_rules_account(
    who_am_i: Path, local_stack: LocalStack
) -> None:
    parameter = f"/who-am-i/{uuid.uuid4().hex[:8]}"
    local_stack.client("events", PRODUCTION).put_events(
        Entries=[
            {
                "Source": "test.who-am-i",
                "DetailType": "asked",
                "Detail": json.dumps({"parameter": parameter}),
            }
        ]
    )
    ssm = local_stack.client("ssm", PRODUCTION)

    def recorded() -> str | None:
        try:
            return str(ssm.get_parameter(Name=parameter)["Parameter"]["Value"])
        except ClientError:
            return None

    assert wait_for(recorded, timeout=20, what="the function's record") == PRODUCTION
    for other in (STAGING, DEFAULT):
        with pytest.raises(ClientError):
            local_stack.client("ssm", other).get_parameter(Name=parameter)


def test_a_handler_signing_with_a_session_of_another_account_acts_in_that_account(
    who_am_i: Path, local_stack: LocalStack
) -> None:
    name = f"reader-{uuid.uuid4().hex[:8]}"
    role_arn = local_stack.client("iam", PRODUCTION).create_role(
        RoleName=name, AssumeRolePolicyDocument=trust(STAGING)
    )["Role"]["Arn"]
    assert invoke(local_stack, STAGING, {"role_arn": role_arn}) == PRODUCTION


def test_requests_are_routed_per_request_by_their_credentials(
    publisher: dict[str, Any], local_stack: LocalStack
) -> None:
    """On a thread acting as staging, one client's requests signed with the dummy keys reach
    staging; a session's credentials keep their own account on that thread."""
    client = boto3.client(
        "sts",
        endpoint_url=local_stack.endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert client.get_caller_identity()["Account"] == DEFAULT
    session = session_client(local_stack, "sts", publisher["credentials"])
    with accounts.acting(STAGING):
        assert client.get_caller_identity()["Account"] == STAGING
        assert session.get_caller_identity()["Account"] == PRODUCTION
    assert client.get_caller_identity()["Account"] == DEFAULT


# ---------------------------------------------------------------- STS trust policies


def test_assume_role_follows_the_trust_policy(
    publisher: dict[str, Any], local_stack: LocalStack
) -> None:
    role_arn = publisher["role_arn"]
    identity = session_client(local_stack, "sts", publisher["credentials"]).get_caller_identity()
    assert identity["Account"] == PRODUCTION
    assert identity["Arn"] == f"arn:aws:sts::{PRODUCTION}:assumed-role/{publisher['name']}/release"

    for caller in (DEFAULT, PRODUCTION):  # neither is a principal of the trust policy
        with pytest.raises(ClientError) as error:
            local_stack.client("sts", caller).assume_role(RoleArn=role_arn, RoleSessionName="x1")
        assert denied(error) == (
            "AccessDenied",
            403,
            f"User: arn:aws:iam::{caller}:root is not authorized to perform: sts:AssumeRole "
            f"on resource: {role_arn}",
        )
    with pytest.raises(ClientError) as error:
        local_stack.client("sts", STAGING).assume_role(
            RoleArn=f"arn:aws:iam::{PRODUCTION}:role/no-such-role", RoleSessionName="x1"
        )
    assert denied(error)[:2] == ("AccessDenied", 403)


def test_a_trust_policy_naming_a_role_trusts_that_roles_sessions(
    two_accounts: dict[str, Any], local_stack: LocalStack
) -> None:
    suffix = uuid.uuid4().hex[:8]
    ci = local_stack.client("iam", STAGING).create_role(
        RoleName=f"ci-{suffix}", AssumeRolePolicyDocument=trust(STAGING)
    )["Role"]["Arn"]
    local_stack.client("iam", STAGING).put_role_policy(
        RoleName=f"ci-{suffix}",
        PolicyName="switch",
        PolicyDocument=allow({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}),
    )
    target = local_stack.client("iam", PRODUCTION).create_role(
        RoleName=f"deploy-{suffix}", AssumeRolePolicyDocument=trust(ci)
    )["Role"]["Arn"]
    ci_session = local_stack.client("sts", STAGING).assume_role(
        RoleArn=ci, RoleSessionName="pipeline"
    )["Credentials"]
    sts = session_client(local_stack, "sts", ci_session)
    deployed = sts.assume_role(RoleArn=target, RoleSessionName="deploy")
    assert deployed["AssumedRoleUser"]["Arn"].startswith(
        f"arn:aws:sts::{PRODUCTION}:assumed-role/deploy-{suffix}/"
    )
    # staging's root is not that role: denied
    with pytest.raises(ClientError) as error:
        local_stack.client("sts", STAGING).assume_role(RoleArn=target, RoleSessionName="x1")
    assert denied(error)[0] == "AccessDenied"


# ---------------------------------------------------------------- assumed-role sessions


def test_a_session_may_put_events_on_productions_default_bus_and_they_reach_its_rules(
    publisher: dict[str, Any], local_stack: LocalStack
) -> None:
    source = f"test.accounts.{uuid.uuid4().hex[:8]}"
    queues = {}
    for account in (PRODUCTION, DEFAULT):
        sqs = local_stack.client("sqs", account)
        url = sqs.create_queue(QueueName=source.replace(".", "-"))["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        events = local_stack.client("events", account)
        events.put_rule(Name=source, EventPattern=json.dumps({"source": [source]}))
        events.put_targets(
            Rule=source, Targets=[{"Id": "q", "Arn": queue_arn["Attributes"]["QueueArn"]}]
        )
        queues[account] = url

    events = session_client(local_stack, "events", publisher["credentials"])
    entry = {"Source": source, "DetailType": "release", "Detail": json.dumps({"v": 1})}
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    bus = f"arn:aws:events:{REGION}:{PRODUCTION}:event-bus/default"
    assert events.put_events(Entries=[{**entry, "EventBusName": bus}])["FailedEntryCount"] == 0

    received = local_stack.client("sqs", PRODUCTION).receive_message(
        QueueUrl=queues[PRODUCTION], MaxNumberOfMessages=10
    )["Messages"]
    assert [json.loads(m["Body"])["source"] for m in received] == [source, source]
    assert "Messages" not in local_stack.client("sqs").receive_message(QueueUrl=queues[DEFAULT])


def test_a_session_is_denied_what_its_roles_policies_do_not_allow(
    publisher: dict[str, Any], local_stack: LocalStack
) -> None:
    session = f"arn:aws:sts::{PRODUCTION}:assumed-role/{publisher['name']}/release"
    credentials = publisher["credentials"]
    sagemaker = session_client(local_stack, "sagemaker", credentials)
    cases = [
        (
            lambda: sagemaker.update_endpoint(EndpointName="Scoring", EndpointConfigName="c"),
            "sagemaker:UpdateEndpoint",
            f"arn:aws:sagemaker:{REGION}:{PRODUCTION}:endpoint/scoring",
        ),
        (
            lambda: sagemaker.describe_model_package(ModelPackageName="fraud/1"),
            "sagemaker:DescribeModelPackage",
            f"arn:aws:sagemaker:{REGION}:{PRODUCTION}:model-package/fraud/1",
        ),
        (
            lambda: session_client(local_stack, "sagemaker-runtime", credentials).invoke_endpoint(
                EndpointName="scoring", Body=b"1,2", ContentType="text/csv"
            ),
            "sagemaker:InvokeEndpoint",
            f"arn:aws:sagemaker:{REGION}:{PRODUCTION}:endpoint/scoring",
        ),
        (
            lambda: session_client(local_stack, "stepfunctions", credentials).start_execution(
                stateMachineArn=f"arn:aws:states:{REGION}:{PRODUCTION}:stateMachine:deploy"
            ),
            "states:StartExecution",
            f"arn:aws:states:{REGION}:{PRODUCTION}:stateMachine:deploy",
        ),
        (
            lambda: session_client(local_stack, "events", credentials).put_events(
                Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "ops"}]
            ),
            "events:PutEvents",
            f"arn:aws:events:{REGION}:{PRODUCTION}:event-bus/ops",
        ),
    ]
    for call, action, resource in cases:
        with pytest.raises(ClientError) as error:
            call()
        assert denied(error) == (
            "AccessDeniedException",
            400,
            f"User: {session} is not authorized to perform: {action} on resource: {resource}",
        )


def test_an_explicit_deny_wins_and_a_session_policy_narrows(
    two_accounts: dict[str, Any], local_stack: LocalStack
) -> None:
    name = f"narrow-{uuid.uuid4().hex[:8]}"
    iam = local_stack.client("iam", PRODUCTION)
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(STAGING))["Role"][
        "Arn"
    ]
    policy_arn = iam.create_policy(
        PolicyName=name,
        PolicyDocument=allow({"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    iam.put_role_policy(
        RoleName=name,
        PolicyName="no-deletes",
        PolicyDocument=allow(
            {"Effect": "Deny", "Action": "sagemaker:Delete*", "Resource": "*"},
        ),
    )
    sts = local_stack.client("sts", STAGING)
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="wide")["Credentials"]
    sagemaker = session_client(local_stack, "sagemaker", credentials)
    assert sagemaker.list_endpoints()["Endpoints"] is not None  # attached policy allows
    with pytest.raises(ClientError) as error:
        sagemaker.delete_endpoint(EndpointName="anything")
    assert denied(error)[:2] == ("AccessDeniedException", 400)

    narrowed = sts.assume_role(
        RoleArn=role_arn,
        RoleSessionName="narrow",
        Policy=allow({"Effect": "Allow", "Action": "sagemaker:Describe*", "Resource": "*"}),
    )["Credentials"]
    narrow = session_client(local_stack, "sagemaker", narrowed)
    with pytest.raises(ClientError) as error:
        narrow.list_endpoints()
    assert denied(error)[:2] == ("AccessDeniedException", 400)


def test_root_dummy_credentials_are_unrestricted(
    publisher: dict[str, Any], local_stack: LocalStack
) -> None:
    for account in (PRODUCTION, DEFAULT):
        sagemaker = local_stack.client("sagemaker", account)
        with pytest.raises(ClientError) as error:
            sagemaker.describe_model_package(ModelPackageName="no-such-group/1")
        assert error.value.response["Error"]["Code"] != "AccessDeniedException"
        events = local_stack.client("events", account)
        events.create_event_bus(Name=f"ops-{uuid.uuid4().hex[:6]}")
        assert sagemaker.list_endpoints()["Endpoints"] is not None
