"""Deploy a SAM template into the running local stack, the way CloudFormation would.

Loads the YAML (short-form intrinsic tags included), resolves Parameters, Conditions,
``Globals.Function`` and intrinsic functions, then creates each resource through boto3
against the stack in dependency order. Functions are registered with the in-process Lambda
runtime; ``EventBridgeRule``/``CloudWatchEvent`` events become rules with targets. Resource
types not in ``CREATORS`` are named in one warning before anything is created.
"""

from __future__ import annotations

import copy
import importlib.metadata
import io
import json
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rollout_local import accounts, lambda_runtime

logger = logging.getLogger(__name__)

ACCOUNT_ID = accounts.DEFAULT_ACCOUNT_ID
REGION = "us-east-1"
DEFAULT_STACK_NAME = "model-rollout"
RULE_EVENT_TYPES = ("EventBridgeRule", "CloudWatchEvent")
# also deployed: Schedule (a scheduled rule; the local stack does not fire schedules) and
# SNS (a Lambda subscription, delivered by rollout_local.extensions.sns_lambda)
OTHER_EVENT_TYPES = ("Schedule", "SNS")


class TemplateError(Exception):
    """The template cannot be deployed locally; the message says where and why."""


# ---------------------------------------------------------------- loading


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns ``!Ref x`` and friends into their long ``Fn::`` form."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML or JSON template."""
    with path.open(encoding="utf-8") as stream:
        document = yaml.load(stream, Loader=_CfnLoader)
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path}: not a template (no Resources mapping)")
    return document


def physical_name(stack_name: str, logical_id: str, max_length: int = 64) -> str:
    """The name the local stack gives a resource that the template does not name."""
    return f"{stack_name}-{logical_id}"[:max_length]


def function_logical_ids(template: dict[str, Any]) -> list[str]:
    return sorted(
        lid
        for lid, res in template["Resources"].items()
        if res.get("Type") == "AWS::Serverless::Function"
    )


# ---------------------------------------------------------------- resolution

_NO_VALUE = object()
_SUB_TOKEN = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass
class DeployedStack:
    """What one template became: physical ids, attributes and resolved Outputs."""

    stack_name: str
    template_path: Path
    resources: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)
    account_id: str = ACCOUNT_ID


class _Deployment:
    def __init__(
        self,
        path: Path,
        template: dict[str, Any],
        stack_name: str,
        overrides: dict[str, str],
        client: Callable[[str], Any],
        account_id: str = ACCOUNT_ID,
    ) -> None:
        self.path = path
        self.account_id = account_id
        self.root = path.parent
        self.template = template
        self.client = client
        self.stack = DeployedStack(stack_name=stack_name, template_path=path)
        self.resources: dict[str, dict[str, Any]] = template["Resources"]
        self.layer_paths: dict[str, Path | None] = {}
        self.pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{REGION}:{account_id}:stack/{stack_name}/local"
            ),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": _NO_VALUE,
        }
        self.parameters = self._parameters(overrides)
        self.conditions: dict[str, bool] = {}
        for name in template.get("Conditions", {}):
            self.condition(name)

    def _parameters(self, overrides: dict[str, str]) -> dict[str, Any]:
        declared = self.template.get("Parameters", {})
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise TemplateError(f"unknown parameter override(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in overrides:
                value: Any = overrides[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no Default and no override")
            allowed = spec.get("AllowedValues")
            if allowed and str(value) not in [str(v) for v in allowed]:
                raise TemplateError(f"parameter {name}={value} is not one of {allowed}")
            values[name] = (
                [v.strip() for v in str(value).split(",")]
                if spec.get("Type") == "CommaDelimitedList"
                else str(value)
            )
        return values

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            if name not in self.template.get("Conditions", {}):
                raise TemplateError(f"unknown condition {name}")
            self.conditions[name] = bool(self.resolve(self.template["Conditions"][name]))
        return self.conditions[name]

    # Ref / GetAtt of a resource not created yet is a bug in the ordering, hence the errors.
    def _ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.stack.resources:
            return self.stack.resources[name]
        if name in self.resources:
            raise TemplateError(f"Ref to {name}, which is not deployed (not emulated?)")
        raise TemplateError(f"Ref to {name}, which is neither a parameter nor a resource")

    def _get_att(self, name: str, attribute: str) -> str:
        try:
            return self.stack.attributes[name][attribute]
        except KeyError:
            raise TemplateError(f"Fn::GetAtt {name}.{attribute} is not available") from None

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in variables:
                return str(variables[token])
            if "." in token and token not in self.pseudo:
                return self._get_att(*token.split(".", 1))
            return str(self._ref(token))

        return _SUB_TOKEN.sub(replace, text).replace("${!", "${")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._intrinsic(key, arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def _intrinsic(self, key: str, arg: Any) -> Any:
        if key == "Fn::GetAtt":
            name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self._get_att(name, self.resolve(attribute))
        if key == "Fn::Sub":
            if isinstance(arg, list):
                return self._sub(arg[0], self.resolve(arg[1]))
            return self._sub(arg, {})
        if key == "Fn::Join":
            separator, items = arg
            return str(separator).join(str(v) for v in self.resolve(items))
        if key == "Fn::If":
            name, then, otherwise = arg
            return self.resolve(then if self.condition(name) else otherwise)
        if key == "Fn::Select":
            index, items = self.resolve(arg)
            return items[int(index)]
        if key == "Fn::Split":
            separator, text = self.resolve(arg)
            return text.split(separator)
        if key == "Fn::FindInMap":
            name, top, second = self.resolve(arg)
            return self.template["Mappings"][name][top][second]
        if key == "Fn::Equals":
            left, right = self.resolve(arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.resolve(arg[0])
        if key == "Fn::And":
            return all(self.resolve(arg))
        if key == "Fn::Or":
            return any(self.resolve(arg))
        raise TemplateError(f"intrinsic function {key} is not supported locally")

    # ---------------------------------------------------------------- ordering

    def _implicit_owners(self) -> dict[str, str]:
        """SAM's generated logical ids (``<Fn>Role``, ``<Fn><Event>``) → their owner."""
        owners: dict[str, str] = {}
        for lid, res in self.resources.items():
            if res.get("Type") in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
                owners[f"{lid}Role"] = lid
                for event_id in res.get("Properties", {}).get("Events", {}) or {}:
                    owners[f"{lid}{event_id}"] = lid
        return owners

    def _dependencies(self, value: Any, found: set[str]) -> set[str]:
        if isinstance(value, list):
            for v in value:
                self._dependencies(v, found)
        elif isinstance(value, dict):
            for key, arg in value.items():
                if key == "Ref" and isinstance(arg, str):
                    found.add(arg)
                elif key == "Fn::GetAtt":
                    found.add(arg[0] if isinstance(arg, list) else arg.split(".", 1)[0])
                elif key == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) else arg
                    found.update(m.split(".", 1)[0] for m in _SUB_TOKEN.findall(text))
                    if isinstance(arg, list):
                        self._dependencies(arg[1], found)
                else:
                    self._dependencies(arg, found)
        return found

    def order(self, properties: dict[str, dict[str, Any]]) -> list[str]:
        owners = self._implicit_owners()
        lids = list(properties)
        graph: dict[str, set[str]] = {}
        for lid in lids:
            found = self._dependencies(properties[lid], set())
            depends = self.resources[lid].get("DependsOn", [])
            found.update([depends] if isinstance(depends, str) else depends)
            graph[lid] = {owners.get(d, d) for d in found if owners.get(d, d) in lids} - {lid}
        ordered: list[str] = []
        state: dict[str, str] = {}

        def visit(lid: str, path: list[str]) -> None:
            if state.get(lid) == "done":
                return
            if state.get(lid) == "visiting":
                raise TemplateError(f"circular dependency: {' -> '.join([*path, lid])}")
            state[lid] = "visiting"
            for dep in sorted(graph[lid]):
                visit(dep, [*path, lid])
            state[lid] = "done"
            ordered.append(lid)

        for lid in sorted(lids):
            visit(lid, [])
        return ordered

    # ---------------------------------------------------------------- helpers

    def name(self, lid: str, max_length: int = 64) -> str:
        return physical_name(self.stack.stack_name, lid, max_length)

    def record(self, lid: str, ref: str, **attributes: str) -> None:
        self.stack.resources[lid] = ref
        self.stack.attributes[lid] = dict(attributes)

    def role(self, lid: str, service: str) -> str:
        """SAM's implicit execution role ``<LogicalId>Role``; IAM is not enforced locally."""
        role_lid = f"{lid}Role"
        create_role(self, role_lid, {"AssumeRolePolicyDocument": _trust(service)})
        return self.stack.attributes[role_lid]["Arn"]

    def rule(self, lid: str, props: dict[str, Any], targets: list[dict[str, Any]]) -> None:
        events = self.client("events")
        name = props.get("Name") or self.name(lid)
        kwargs: dict[str, Any] = {"Name": name, "State": props.get("State", "ENABLED")}
        pattern = props.get("EventPattern")
        if pattern is not None:
            kwargs["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
        for source, target in (
            ("EventBusName", "EventBusName"),
            ("ScheduleExpression", "ScheduleExpression"),
            ("Description", "Description"),
        ):
            if source in props:
                kwargs[target] = props[source]
        arn = events.put_rule(**kwargs)["RuleArn"]
        if targets:
            bus = {"EventBusName": props["EventBusName"]} if "EventBusName" in props else {}
            events.put_targets(Rule=name, Targets=targets, **bus)
        self.record(lid, name, Arn=arn)

    def event_rules(self, owner: str, owner_arn: str, kind: str, events: dict[str, Any]) -> None:
        """SAM ``Events`` of rule type: one rule per event, targeting the owner."""
        for event_id, event in events.items():
            props = event.get("Properties", {})
            if event.get("Type") == "SNS":
                self.client("sns").subscribe(
                    TopicArn=props["Topic"], Protocol="lambda", Endpoint=owner_arn
                )
                continue
            if event.get("Type") == "Schedule":
                enabled = props.get("Enabled", True) in (True, "true", "True")
                scheduled = {"Id": f"{owner}{event_id}{kind}Target"[:64], "Arn": owner_arn}
                if "Input" in props:
                    scheduled["Input"] = props["Input"]
                schedule = {
                    "Name": props.get("Name") or self.name(f"{owner}{event_id}"),
                    "ScheduleExpression": props["Schedule"],
                    "State": props.get("State") or ("ENABLED" if enabled else "DISABLED"),
                }
                self.rule(f"{owner}{event_id}", schedule, [scheduled])
                continue
            target: dict[str, Any] = {
                "Id": props.get("Target", {}).get("Id", f"{owner}{event_id}{kind}Target")[:64],
                "Arn": owner_arn,
            }
            for key in ("Input", "InputPath", "InputTransformer"):
                if key in props:
                    target[key] = props[key]
            rule_props = {
                "Name": props.get("RuleName") or self.name(f"{owner}{event_id}"),
                "EventPattern": props.get("Pattern"),
                "State": props.get("State", "ENABLED"),
                **({"EventBusName": props["EventBusName"]} if "EventBusName" in props else {}),
            }
            self.rule(f"{owner}{event_id}", rule_props, [target])


def _trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def _dummy_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README", "code runs in-process from the template's CodeUri")
    return buffer.getvalue()


def _missing_requirements(requirements: Path) -> list[str]:
    missing = []
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
        if not match:
            continue
        try:
            importlib.metadata.version(match.group(1))
        except importlib.metadata.PackageNotFoundError:
            missing.append(match.group(1))
    return missing


# ---------------------------------------------------------------- creators
# Each takes the deployment, the logical id and the resolved Properties.


def create_role(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    iam = d.client("iam")
    name = props.get("RoleName") or d.name(lid)
    policy = props.get("AssumeRolePolicyDocument", _trust("lambda.amazonaws.com"))
    arn = iam.create_role(
        RoleName=name,
        Path=props.get("Path", "/"),
        AssumeRolePolicyDocument=policy if isinstance(policy, str) else json.dumps(policy),
    )["Role"]["Arn"]
    for inline in props.get("Policies", []):
        iam.put_role_policy(
            RoleName=name,
            PolicyName=inline["PolicyName"],
            PolicyDocument=json.dumps(inline["PolicyDocument"]),
        )
    d.record(lid, name, Arn=arn, RoleId=name)


def create_table(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    dynamodb = d.client("dynamodb")
    name = props.get("TableName") or d.name(lid, 255)
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
        if key in props:
            kwargs[key] = props[key]
    if "StreamSpecification" in props:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    table = dynamodb.create_table(**kwargs)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr:
        dynamodb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification=pitr)
    streams = {"StreamArn": table["LatestStreamArn"]} if "LatestStreamArn" in table else {}
    d.record(lid, name, Arn=table["TableArn"], **streams)


def create_layer(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    """Layers are local directories: ``python/`` goes on the import path; a layer built by
    its Makefile (``BuildMethod: makefile``, which copies packages of ``ContentUri`` into
    ``python/``) is used from that source folder; a layer that only lists
    ``requirements.txt`` is provided by the local environment (checked here)."""
    content = d.root / props["ContentUri"]
    name = props.get("LayerName") or d.name(lid)
    arn = f"arn:aws:lambda:{REGION}:{d.account_id}:layer:{name}:1"
    build_method = d.resources[lid].get("Metadata", {}).get("BuildMethod")
    if (content / "python").is_dir():
        d.layer_paths[arn] = content / "python"
    elif build_method == "makefile" and (content / "Makefile").is_file():
        d.layer_paths[arn] = content
    elif (content / "requirements.txt").is_file():
        d.layer_paths[arn] = None
        missing = _missing_requirements(content / "requirements.txt")
        if missing:
            logger.warning(
                "layer %s: requirements not installed locally: %s", lid, ", ".join(missing)
            )
    else:
        raise TemplateError(
            f"layer {lid}: {content} has neither python/, a Makefile nor requirements.txt"
        )
    d.record(lid, arn, LayerVersionArn=arn)


def create_function(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    code_uri = props.get("CodeUri")
    if not isinstance(code_uri, str):
        raise TemplateError(f"function {lid}: CodeUri must be a local directory")
    code_dir = (d.root / code_uri).resolve()
    handler = props["Handler"]
    module = handler.rpartition(".")[0].replace(".", "/") + ".py"
    if not (code_dir / module).is_file():
        logger.warning("function %s: %s does not exist (yet); invokes will fail", lid, module)
    name = props.get("FunctionName") or d.name(lid)
    role = props.get("Role") or d.role(lid, "lambda.amazonaws.com")
    environment = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
    layer_paths = []
    for layer in props.get("Layers", []):
        if layer not in d.layer_paths:
            logger.warning("function %s: layer %s is not available locally", lid, layer)
        elif (path := d.layer_paths[layer]) is not None:
            layer_paths.append(path.resolve())
    timeout, memory = int(props.get("Timeout", 3)), int(props.get("MemorySize", 128))
    arn = d.client("lambda").create_function(
        FunctionName=name,
        Runtime=props.get("Runtime", "python3.13"),
        Role=role,
        Handler=handler,
        Code={"ZipFile": _dummy_zip()},
        Description=props.get("Description", ""),
        Timeout=timeout,
        MemorySize=memory,
        Environment={"Variables": environment},
    )["FunctionArn"]
    lambda_runtime.register(
        lambda_runtime.FunctionSpec(
            function_name=name,
            function_arn=arn,
            code_dir=code_dir,
            handler=handler,
            environment=environment,
            layer_paths=tuple(layer_paths),
            timeout=timeout,
            memory_size=memory,
        )
    )
    d.record(lid, name, Arn=arn)
    d.event_rules(lid, arn, "Lambda", props.get("Events") or {})


def create_state_machine(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    if "DefinitionUri" in props:
        source = d.root / props["DefinitionUri"]
        text = source.read_text(encoding="utf-8")
        if source.suffix in (".yaml", ".yml"):
            text = json.dumps(yaml.load(text, Loader=_CfnLoader))
    elif "Definition" in props:
        text = json.dumps(props["Definition"])
    else:
        raise TemplateError(f"state machine {lid}: no Definition or DefinitionUri")
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        text = text.replace("${" + key + "}", str(value))
    unresolved = sorted(set(re.findall(r"\$\{(\w+)\}", text)))
    if unresolved:
        raise TemplateError(f"state machine {lid}: no substitution for {', '.join(unresolved)}")
    name = props.get("Name") or d.name(lid, 80)
    role = props.get("Role") or d.role(lid, "states.amazonaws.com")
    extra: dict[str, Any] = {}
    tracing = props.get("Tracing")
    if isinstance(tracing, dict) and "Enabled" in tracing:
        # SAM's Tracing.Enabled is CreateStateMachine's tracingConfiguration.enabled
        extra["tracingConfiguration"] = {"enabled": tracing["Enabled"] in (True, "true", "True")}
    arn = d.client("stepfunctions").create_state_machine(
        name=name, definition=text, roleArn=role, type=props.get("Type", "STANDARD"), **extra
    )["stateMachineArn"]
    d.record(lid, arn, Arn=arn, Name=name)
    d.event_rules(lid, arn, "StepFunctions", props.get("Events") or {})


def create_events_rule(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    keys = ("Id", "Arn", "Input", "InputPath", "InputTransformer", "RoleArn", "SqsParameters")
    targets = [{k: t[k] for k in keys if k in t} for t in props.get("Targets", [])]
    d.rule(lid, props, targets)


def create_parameter(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    name = props.get("Name") or d.name(lid, 2048)
    d.client("ssm").put_parameter(
        Name=name,
        Value=str(props["Value"]),
        Type=props.get("Type", "String"),
        Description=props.get("Description", ""),
    )
    d.record(lid, name, Type=props.get("Type", "String"), Value=str(props["Value"]))


def create_topic(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    name = props.get("TopicName") or d.name(lid, 256)
    arn = d.client("sns").create_topic(Name=name)["TopicArn"]
    d.record(lid, arn, TopicArn=arn, TopicName=name)


def create_queue(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    sqs = d.client("sqs")
    fifo = str(props.get("FifoQueue", "false")).lower() == "true"
    name = props.get("QueueName") or d.name(lid, 75) + (".fifo" if fifo else "")
    attributes = {
        k: v if isinstance(v, str) else json.dumps(v)
        for k, v in props.items()
        if k not in ("QueueName", "Tags")
    }
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    d.record(lid, url, Arn=arn["QueueArn"], QueueName=name, QueueUrl=url)


def create_bucket(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    name = props.get("BucketName") or d.name(lid, 63).lower()
    d.client("s3").create_bucket(Bucket=name)
    if "EventBridgeConfiguration" in props.get("NotificationConfiguration", {}):
        d.client("s3").put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
    d.record(lid, name, Arn=f"arn:aws:s3:::{name}", DomainName=f"{name}.s3.amazonaws.com")


def create_alarm(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    name = props.get("AlarmName") or d.name(lid, 255)
    kwargs = {k: v for k, v in props.items() if k != "AlarmName"}
    for key, kind in (
        ("Threshold", float),
        ("Period", int),
        ("EvaluationPeriods", int),
        ("DatapointsToAlarm", int),
    ):
        if key in kwargs:
            kwargs[key] = kind(kwargs[key])
    d.client("cloudwatch").put_metric_alarm(AlarmName=name, **kwargs)
    d.record(lid, name, Arn=f"arn:aws:cloudwatch:{REGION}:{d.account_id}:alarm:{name}")


def accept_permission(d: _Deployment, lid: str, props: dict[str, Any]) -> None:
    """Resource policies are not enforced locally; the permission only needs an id."""
    d.record(lid, lid)


CREATORS: dict[str, Callable[[_Deployment, str, dict[str, Any]], None]] = {
    "AWS::IAM::Role": create_role,
    "AWS::DynamoDB::Table": create_table,
    "AWS::Serverless::LayerVersion": create_layer,
    "AWS::Serverless::Function": create_function,
    "AWS::Serverless::StateMachine": create_state_machine,
    "AWS::Events::Rule": create_events_rule,
    "AWS::SSM::Parameter": create_parameter,
    "AWS::SNS::Topic": create_topic,
    "AWS::SQS::Queue": create_queue,
    "AWS::S3::Bucket": create_bucket,
    "AWS::CloudWatch::Alarm": create_alarm,
    "AWS::Lambda::Permission": accept_permission,
}


def _merge_globals(resource: dict[str, Any], globals_: dict[str, Any]) -> dict[str, Any]:
    """SAM Globals: the function's own values win; env variables merge; layers add up."""
    props = copy.deepcopy(resource.get("Properties", {}))
    for key, value in globals_.items():
        if key == "Environment" and "Environment" in props:
            variables = {**value.get("Variables", {}), **props["Environment"].get("Variables", {})}
            props["Environment"] = {**props["Environment"], "Variables": variables}
        elif key == "Layers" and "Layers" in props:
            props["Layers"] = [*value, *props["Layers"]]
        elif key not in props:
            props[key] = copy.deepcopy(value)
    return props


def _unsupported(template: dict[str, Any]) -> list[str]:
    found = []
    for lid, res in template["Resources"].items():
        kind = res.get("Type", "")
        if kind not in CREATORS:
            found.append(f"{lid} ({kind})")
            continue
        for event_id, event in (res.get("Properties", {}).get("Events") or {}).items():
            if event.get("Type") not in (*RULE_EVENT_TYPES, *OTHER_EVENT_TYPES):
                found.append(f"{lid}.Events.{event_id} ({event.get('Type')} event)")
    return found


def deploy(
    path: Path,
    client: Callable[[str], Any],
    *,
    stack_name: str = DEFAULT_STACK_NAME,
    parameter_overrides: dict[str, str] | None = None,
    account_id: str | None = None,
) -> DeployedStack:
    """Create every supported resource of the template at ``path``; resolve its Outputs.

    ``client`` gives the clients that create them, acting in ``account_id`` (default: the
    default account); ``AWS::AccountId`` and the ARNs the deployer forms name it."""
    template = load_template(path)
    account = accounts.checked(account_id)
    d = _Deployment(path, template, stack_name, parameter_overrides or {}, client, account)
    d.stack.account_id = account
    d.stack.unsupported = _unsupported(template)
    if d.stack.unsupported:
        logger.warning(
            "%s: not emulated by the local stack, not created: %s",
            path.name,
            "; ".join(d.stack.unsupported),
        )
    skipped = {lid for lid, res in d.resources.items() if res.get("Type") not in CREATORS}
    globals_ = template.get("Globals", {}).get("Function", {})
    properties = {
        lid: _merge_globals(res, globals_)
        if res["Type"] == "AWS::Serverless::Function"
        else res.get("Properties", {})
        for lid, res in d.resources.items()
        if lid not in skipped and ("Condition" not in res or d.condition(res["Condition"]))
    }
    for lid in d.order(properties):
        kind = d.resources[lid]["Type"]
        try:
            CREATORS[kind](d, lid, d.resolve(properties[lid]))
        except TemplateError as exc:
            raise TemplateError(f"{path.name}: {lid} ({kind}): {exc}") from exc
    for name, output in template.get("Outputs", {}).items():
        if "Condition" not in output or d.condition(output["Condition"]):
            d.stack.outputs[name] = d.resolve(output["Value"])
    return d.stack
