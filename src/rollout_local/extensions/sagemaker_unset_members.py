"""SageMaker Describe* answers leave out the members that were never set, as AWS does.

(And answer the one required member moto leaves out: ``ModelPackageName``, below.)

SageMaker's API reference marks most structures of a Describe* answer optional, and AWS
leaves an optional member out when it was not set. moto answers them as empty values
instead: ``DescribeEndpointConfig`` with ``"DataCaptureConfig": {}``, ``DescribeModel`` with
``"VpcConfig": {}``, ``"PrimaryContainer": {}`` (a model of ``Containers``) and
``"Containers": []`` (a model of a ``PrimaryContainer``). The members of those structures
are required by the API's shapes (``DataCaptureConfig.InitialSamplingPercentage``,
``VpcConfig.Subnets``, ...), so strict clients that parse answers into the API's models
(``sagemaker-core``) reject an empty one.

For ``DescribeModel``, ``DescribeEndpointConfig``, ``DescribeEndpoint``,
``DescribeModelPackage`` and ``DescribeModelPackageGroup`` this module walks the answer
along the operation's output shape (botocore's service model, the API reference's
shapes) and leaves out, at any depth, a member that is ``None``, an empty structure or an
empty list, unless the shape says the member is required (then it stays as moto gave it).
Everything that was set is answered unchanged.

``DescribeModelPackage``'s output shape marks ``ModelPackageName`` required; moto deletes it
from a versioned package (one of a group), so ``sagemaker-core``'s ``ModelPackage.get``
fails ("model_package_name: Field required"). A versioned package answers its group's
name there, as SageMaker does. (``ListModelPackages`` summaries of versioned packages carry
no ``ModelPackageName`` on AWS either, and are left as moto answers them.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from moto.core import responses as moto_responses
from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse

from rollout_local.extensions._fence import original, replace

#: the response methods whose answers are cleaned, with their operation names
OPERATIONS: dict[str, str] = {
    "describe_model": "DescribeModel",
    "describe_endpoint_config": "DescribeEndpointConfig",
    "describe_endpoint": "DescribeEndpoint",
    "describe_model_package": "DescribeModelPackage",
    "describe_model_package_group": "DescribeModelPackageGroup",
}


def _unset(value: Any) -> bool:
    return value is None or (isinstance(value, dict | list) and not value)


def clean(value: Any, shape: Shape | None) -> Any:
    """``value`` without the unset members, following ``shape`` (unchanged without one)."""
    if shape is None:
        return value
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        required = set(shape.required_members)
        out: dict[str, Any] = {}
        for key, member in value.items():
            member_shape = shape.members.get(key)
            cleaned = clean(member, member_shape)
            if member_shape is not None and key not in required and _unset(cleaned):
                continue
            out[key] = cleaned
        return out
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [clean(item, shape.member) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {k: clean(v, shape.value) for k, v in value.items()}
    return value


def _package_name(answer: dict[str, Any]) -> dict[str, Any]:
    if "ModelPackageName" not in answer and answer.get("ModelPackageGroupName"):
        return {"ModelPackageName": answer["ModelPackageGroupName"], **answer}
    return answer


#: a required member moto leaves out, per operation
_REQUIRED: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "DescribeModelPackage": _package_name,
}


def _output_shape(operation: str) -> Shape | None:
    model: OperationModel = moto_responses.get_service_model("sagemaker").operation_model(operation)
    return model.output_shape


def _cleaning(name: str, operation: str) -> Callable[[SageMakerResponse], Any]:
    moto_method = original(SageMakerResponse, name, ("self",))

    def method(self: SageMakerResponse) -> Any:
        result = moto_method(self)
        if isinstance(result, ActionResult) and isinstance(result.result, dict):
            answer = clean(result.result, _output_shape(operation))
            fill = _REQUIRED.get(operation)
            return ActionResult(fill(answer) if fill else answer)
        return result

    method.__name__ = name
    method.__qualname__ = f"SageMakerResponse.{name}"
    return method


_METHODS = {name: _cleaning(name, operation) for name, operation in OPERATIONS.items()}


def install() -> None:
    for name, method in _METHODS.items():
        replace(SageMakerResponse, name, method, ("self",))
