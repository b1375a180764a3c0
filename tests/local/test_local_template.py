"""The real template and the fixture template, as deployed into the local stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.local.support import FIXTURE_STACK

from rollout_local.server import LocalStack, LocalStackError, free_port
from rollout_local.template import DeployedStack, TemplateError, deploy, load_template


def test_real_template_tables(local_stack: LocalStack) -> None:
    dynamodb = local_stack.client("dynamodb")
    deployments = dynamodb.describe_table(TableName=local_stack.resources["DeploymentsTable"])
    indexes = deployments["Table"]["GlobalSecondaryIndexes"]
    assert [i["IndexName"] for i in indexes] == ["by-endpoint"]
    waiters = local_stack.resources["WaitersTable"]
    ttl = dynamodb.describe_time_to_live(TableName=waiters)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_real_template_functions_have_merged_environment(local_stack: LocalStack) -> None:
    config = local_stack.client("lambda").get_function_configuration(
        FunctionName=local_stack.resources["ResolvePolicyFunction"]
    )
    variables = config["Environment"]["Variables"]
    assert variables["DEPLOYMENTS_TABLE"] == local_stack.resources["DeploymentsTable"]
    assert variables["WAITERS_TABLE"] == local_stack.resources["WaitersTable"]
    assert variables["POLICY_PARAMETER_PREFIX"] == "/model-rollout/policies/"
    assert variables["ENDPOINT_WAIT_SECONDS"] == "3600"
    role = local_stack.stack.attributes["SageMakerExecutionRole"]["Arn"]
    assert variables["SAGEMAKER_EXECUTION_ROLE_ARN"] == role
    assert config["Timeout"] == 60 and config["MemorySize"] == 256


def test_real_template_state_machine_and_outputs(local_stack: LocalStack) -> None:
    arn = local_stack.outputs["DeployModelStateMachineArn"]
    assert arn == local_stack.resources["DeployModelStateMachine"]
    definition = local_stack.client("stepfunctions").describe_state_machine(stateMachineArn=arn)[
        "definition"
    ]
    assert "${" not in definition
    resolve = json.loads(definition)["States"]["ResolvePolicy"]["Resource"]
    assert resolve == local_stack.stack.attributes["ResolvePolicyFunction"]["Arn"]
    assert local_stack.outputs["DeploymentsTableName"] == "model-rollout-DeploymentsTable"


def test_real_template_state_machines_have_their_tracing(local_stack: LocalStack) -> None:
    """SAM's ``Tracing: {Enabled: true}`` is CreateStateMachine's tracingConfiguration."""
    sfn = local_stack.client("stepfunctions")
    for name in ("DeployModelStateMachine", "BatchTransformStateMachine"):
        described = sfn.describe_state_machine(stateMachineArn=local_stack.resources[name])
        assert described["tracingConfiguration"] == {"enabled": True}, name
        assert described["type"] == "STANDARD"


@pytest.mark.parametrize(
    ("rule", "target"),
    [
        ("DeployModelStateMachineModelPackageApproved", "DeployModelStateMachine"),
        ("EndpointEventFunctionEndpointStateChange", "EndpointEventFunction"),
        ("AlarmEventFunctionAlarmEntersAlarm", "AlarmEventFunction"),
    ],
)
def test_real_template_rules_target_their_owner(
    local_stack: LocalStack, rule: str, target: str
) -> None:
    targets = local_stack.client("events").list_targets_by_rule(Rule=local_stack.resources[rule])[
        "Targets"
    ]
    assert [t["Arn"] for t in targets] == [local_stack.stack.attributes[target]["Arn"]]


def test_fixture_template_resources(local_stack: LocalStack, fixture_stack: DeployedStack) -> None:
    assert fixture_stack.unsupported == ["Unknown (AWS::Foo::Bar)"]
    assert "NeverBucket" not in fixture_stack.resources
    assert fixture_stack.outputs["SettingsName"] == f"/{FIXTURE_STACK}/settings"
    assert fixture_stack.outputs["Region"] == "us-east-1/123456789012/aws"
    assert fixture_stack.outputs["QueueArn"].endswith(f":{FIXTURE_STACK}-Queue")
    value = local_stack.client("ssm").get_parameter(Name=f"/{FIXTURE_STACK}/settings")
    assert value["Parameter"]["Value"] == "global-marker,y"
    local_stack.client("s3").head_bucket(Bucket=fixture_stack.resources["Bucket"])
    alarms = local_stack.client("cloudwatch").describe_alarms(
        AlarmNames=[fixture_stack.resources["Alarm"]]
    )
    assert alarms["MetricAlarms"][0]["Threshold"] == 1.0
    topic = fixture_stack.resources["Topic"]
    assert topic in [t["TopicArn"] for t in local_stack.client("sns").list_topics()["Topics"]]


def test_short_form_tags_load_as_long_form(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n"
        "      A: !Ref X\n      B: !GetAtt Y.Arn\n      C: !Sub '${X}-x'\n"
        "      D: !Join ['-', [a, !Ref X]]\n      E: !If [Cond, 1, 2]\n"
    )
    props = load_template(path)["Resources"]["R"]["Properties"]
    assert props == {
        "A": {"Ref": "X"},
        "B": {"Fn::GetAtt": ["Y", "Arn"]},
        "C": {"Fn::Sub": "${X}-x"},
        "D": {"Fn::Join": ["-", ["a", {"Ref": "X"}]]},
        "E": {"Fn::If": ["Cond", 1, 2]},
    }


def test_unknown_parameter_override_is_an_error(local_stack: LocalStack) -> None:
    template = local_stack.template_path
    with pytest.raises(TemplateError, match="NoSuchParameter"):
        deploy(template, local_stack.client, parameter_overrides={"NoSuchParameter": "x"})


def test_only_one_local_stack_per_process(local_stack: LocalStack) -> None:
    with pytest.raises(LocalStackError, match="already runs"):
        LocalStack(port=free_port()).start()
    assert local_stack.client("lambda").list_functions()["Functions"]
