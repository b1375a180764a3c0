"""rollout_local.emf: the metrics of a log line, as the EMF specification defines them."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

from rollout_local import emf

# the specification's example document
SPEC_EXAMPLE: dict[str, Any] = {
    "_aws": {
        "Timestamp": 1574109732004,
        "CloudWatchMetrics": [
            {
                "Namespace": "lambda-function-metrics",
                "Dimensions": [["functionVersion"]],
                "Metrics": [{"Name": "time", "Unit": "Milliseconds", "StorageResolution": 60}],
            }
        ],
    },
    "functionVersion": "$LATEST",
    "time": 100,
    "requestId": "989ffbf8-9ace-4817-a57c-e4dd734019ee",
}


def line(document: dict[str, Any]) -> str:
    return json.dumps(document)


def with_directive(**changes: Any) -> dict[str, Any]:
    document = json.loads(json.dumps(SPEC_EXAMPLE))
    document["_aws"]["CloudWatchMetrics"][0].update(changes)
    return document


def test_the_specifications_example_is_one_datum() -> None:
    assert emf.parse(line(SPEC_EXAMPLE)) == [
        emf.Datum(
            namespace="lambda-function-metrics",
            name="time",
            dimensions=(("functionVersion", "$LATEST"),),
            values=(100.0,),
            timestamp=datetime(2019, 11, 18, 20, 42, 12, 4000, tzinfo=UTC),
            unit="Milliseconds",
            storage_resolution=60,
        )
    ]


def test_each_dimension_set_is_a_metric_of_its_own_and_an_empty_set_has_no_dimensions() -> None:
    document = with_directive(Dimensions=[["functionVersion"], ["functionVersion", "az"], []])
    document["az"] = "us-east-1a"

    data = emf.parse(line(document))

    assert data is not None
    assert [d.dimensions for d in data] == [
        (("functionVersion", "$LATEST"),),
        (("functionVersion", "$LATEST"), ("az", "us-east-1a")),
        (),
    ]
    assert {d.values for d in data} == {(100.0,)}


def test_an_array_of_values_and_the_defaults_of_unit_and_resolution() -> None:
    document = with_directive(Metrics=[{"Name": "time"}])
    document["time"] = [1, 2.5, 3]

    (datum,) = emf.parse(line(document)) or []

    assert datum.values == (1.0, 2.5, 3.0)
    assert (datum.unit, datum.storage_resolution) == (None, 60)
    assert datum.metric_datum()["Values"] == [1.0, 2.5, 3.0]
    assert "Value" not in datum.metric_datum() and "Unit" not in datum.metric_datum()


def test_powertools_output_is_read_with_its_service_dimension() -> None:
    provider = AmazonCloudWatchEMFProvider(namespace="ModelRollout", service="model-rollout")
    provider.add_metric(name="RollbacksFailed", unit="Count", value=1)
    provider.add_metric(name="DeploymentDuration", unit="Seconds", value=12.5, resolution=1)

    data = emf.parse(json.dumps(provider.serialize_metric_set())) or []

    assert [(d.namespace, d.name, d.values, d.unit, d.storage_resolution) for d in data] == [
        ("ModelRollout", "RollbacksFailed", (1.0,), "Count", 60),
        ("ModelRollout", "DeploymentDuration", (12.5,), "Seconds", 1),
    ]
    assert {d.dimensions for d in data} == {(("service", "model-rollout"),)}


def test_a_datum_is_a_put_metric_data_member() -> None:
    (datum,) = emf.parse(line(SPEC_EXAMPLE)) or []

    assert emf.by_namespace([datum]) == {
        "lambda-function-metrics": [
            {
                "MetricName": "time",
                "Dimensions": [{"Name": "functionVersion", "Value": "$LATEST"}],
                "Timestamp": datum.timestamp,
                "StorageResolution": 60,
                "Value": 100.0,
                "Unit": "Milliseconds",
            }
        ]
    }


@pytest.mark.parametrize(
    "text",
    [
        "START RequestId: 1 Version: $LATEST",
        '{"level": "INFO", "message": "deployment rolled back"}',
        '{"level": "INFO", "message": "the _aws key is mentioned", "_awsx": 1}',
        'a text line about {"_aws": ...}',
        '{"_aws": broken json',
    ],
)
def test_a_line_that_is_no_emf_document_is_not_one(text: str) -> None:
    assert emf.parse(text) is None


def _broken() -> list[tuple[str, dict[str, Any]]]:
    missing_timestamp = json.loads(line(SPEC_EXAMPLE))
    del missing_timestamp["_aws"]["Timestamp"]
    text_timestamp = json.loads(line(SPEC_EXAMPLE))
    text_timestamp["_aws"]["Timestamp"] = "2019-11-18"
    no_directives = json.loads(line(SPEC_EXAMPLE))
    no_directives["_aws"]["CloudWatchMetrics"] = {"Namespace": "x"}
    no_dimension_member = json.loads(line(SPEC_EXAMPLE))
    del no_dimension_member["functionVersion"]
    numeric_dimension = json.loads(line(SPEC_EXAMPLE))
    numeric_dimension["functionVersion"] = 1
    text_value = json.loads(line(SPEC_EXAMPLE))
    text_value["time"] = "100"
    too_many_values = json.loads(line(SPEC_EXAMPLE))
    too_many_values["time"] = list(range(101))
    no_value = json.loads(line(SPEC_EXAMPLE))
    del no_value["time"]
    return [
        ("missing Timestamp", missing_timestamp),
        ("Timestamp not a number", text_timestamp),
        ("CloudWatchMetrics not an array", no_directives),
        ("dimension without a member", no_dimension_member),
        ("dimension value not a string", numeric_dimension),
        ("value a string", text_value),
        ("more than 100 values", too_many_values),
        ("metric without a member", no_value),
        ("no Namespace", with_directive(Namespace=None)),
        ("Dimensions not an array of sets", with_directive(Dimensions="functionVersion")),
        ("31 dimension keys", with_directive(Dimensions=[["functionVersion"] * 31])),
        ("unknown Unit", with_directive(Metrics=[{"Name": "time", "Unit": "Furlongs"}])),
        ("StorageResolution 5", with_directive(Metrics=[{"Name": "time", "StorageResolution": 5}])),
        ("definition without Name", with_directive(Metrics=[{"Unit": "Count"}])),
    ]


@pytest.mark.parametrize(("problem", "document"), _broken(), ids=[p for p, _ in _broken()])
def test_a_malformed_document_is_dropped_with_a_warning(
    problem: str, document: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="rollout_local.emf"):
        assert emf.parse(line(document)) == []
    assert "EMF document dropped" in caplog.text, problem


def test_extract_reads_every_document_of_a_log_and_skips_the_rest() -> None:
    lines = [
        "START RequestId: 1 Version: $LATEST",
        line(SPEC_EXAMPLE),
        line(with_directive(Namespace=None)),
        '{"level": "INFO", "message": "done"}',
        line(with_directive(Namespace="other")),
    ]

    assert [d.namespace for d in emf.extract(lines)] == ["lambda-function-metrics", "other"]
