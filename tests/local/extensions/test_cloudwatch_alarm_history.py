"""DescribeAlarmHistory (API reference: AlarmHistoryItem, its filters and paging), recorded
for evaluator transitions, SetAlarmState and PutMetricAlarm, kept after DeleteAlarms."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from rollout_local.extensions.cloudwatch_alarms import evaluate_all

DIMS = [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "v0"}]


def _alarm(cw: Any, name: str) -> None:
    cw.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=DIMS,
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )


def _breach(cw: Any) -> None:
    cw.put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[{"MetricName": "Invocation5XXErrors", "Value": 3.0, "Dimensions": DIMS}],
    )


def _items(cw: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return list(cw.describe_alarm_history(**kwargs)["AlarmHistoryItems"])


def test_state_updates_as_aws_writes_them_and_kept_after_delete(
    aws_manual: boto3.Session,
) -> None:
    cw = aws_manual.client("cloudwatch")
    _alarm(cw, "hist-errors")
    evaluate_all()  # INSUFFICIENT_DATA -> OK (missing data is not breaching)
    _breach(cw)
    evaluate_all()  # OK -> ALARM
    cw.delete_alarms(AlarmNames=["hist-errors"])
    assert cw.describe_alarms(AlarmNames=["hist-errors"])["MetricAlarms"] == []

    updates = _items(cw, AlarmName="hist-errors", HistoryItemType="StateUpdate")
    assert [i["HistorySummary"] for i in updates] == [
        "Alarm updated from OK to ALARM",
        "Alarm updated from INSUFFICIENT_DATA to OK",
    ]  # TimestampDescending by default
    latest = updates[0]
    assert latest["AlarmName"] == "hist-errors"
    assert latest["AlarmType"] == "MetricAlarm"
    assert latest["HistoryItemType"] == "StateUpdate"
    assert abs(latest["Timestamp"] - datetime.now(UTC)) < timedelta(minutes=1)
    data = json.loads(latest["HistoryData"])
    assert data["version"] == "1.0"
    assert data["oldState"]["stateValue"] == "OK"
    assert data["newState"]["stateValue"] == "ALARM"
    assert data["newState"]["stateReason"].startswith("Threshold Crossed: 1 out of the last 1")
    assert data["newState"]["stateReasonData"]["recentDatapoints"] == [3.0]
    assert data["newState"]["stateReasonData"]["threshold"] == 0.0


def test_configuration_updates_and_set_alarm_state(aws_manual: boto3.Session) -> None:
    cw = aws_manual.client("cloudwatch")
    _alarm(cw, "hist-config")
    _alarm(cw, "hist-config")  # an update of the same alarm
    cw.set_alarm_state(AlarmName="hist-config", StateValue="ALARM", StateReason="testing")
    cw.delete_alarms(AlarmNames=["hist-config"])
    items = _items(cw, AlarmName="hist-config", ScanBy="TimestampAscending")
    assert [(i["HistoryItemType"], i["HistorySummary"]) for i in items] == [
        ("ConfigurationUpdate", 'Alarm "hist-config" created'),
        ("ConfigurationUpdate", 'Alarm "hist-config" updated'),
        ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"),
        ("ConfigurationUpdate", 'Alarm "hist-config" deleted'),
    ]
    created = json.loads(items[0]["HistoryData"])
    assert created["type"] == "Create"
    assert created["createdAlarm"]["alarmName"] == "hist-config"
    assert created["createdAlarm"]["metricName"] == "Invocation5XXErrors"
    assert created["createdAlarm"]["comparisonOperator"] == "GreaterThanThreshold"
    assert json.loads(items[1]["HistoryData"])["type"] == "Update"
    assert json.loads(items[2]["HistoryData"])["newState"] == {
        "stateValue": "ALARM",
        "stateReason": "testing",
    }
    assert json.loads(items[3]["HistoryData"])["type"] == "Delete"


def test_filters_dates_types_and_paging(aws_manual: boto3.Session) -> None:
    cw = aws_manual.client("cloudwatch")
    for name in ("page-a", "page-b"):
        _alarm(cw, name)
        for state in ("OK", "ALARM", "OK"):
            cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason=state)
    everything = _items(cw)
    assert len(everything) == 8
    assert [i["Timestamp"] for i in everything] == sorted(
        (i["Timestamp"] for i in everything), reverse=True
    )
    assert _items(cw, AlarmTypes=["CompositeAlarm"]) == []
    assert len(_items(cw, AlarmTypes=["MetricAlarm", "CompositeAlarm"])) == 8
    assert _items(cw, EndDate=datetime.now(UTC) - timedelta(hours=1)) == []
    assert len(_items(cw, StartDate=datetime.now(UTC) - timedelta(hours=1))) == 8

    first = cw.describe_alarm_history(AlarmName="page-a", MaxRecords=3)
    assert len(first["AlarmHistoryItems"]) == 3 and "NextToken" in first
    second = cw.describe_alarm_history(
        AlarmName="page-a", MaxRecords=3, NextToken=first["NextToken"]
    )
    assert len(second["AlarmHistoryItems"]) == 1 and "NextToken" not in second
    pages = first["AlarmHistoryItems"] + second["AlarmHistoryItems"]
    assert pages == _items(cw, AlarmName="page-a")
    paginated = [
        item
        for page in cw.get_paginator("describe_alarm_history").paginate(
            PaginationConfig={"PageSize": 2}
        )
        for item in page["AlarmHistoryItems"]
    ]
    assert paginated == everything


def test_bad_parameters_are_client_errors(aws_manual: boto3.Session) -> None:
    cw = aws_manual.client("cloudwatch")
    with pytest.raises(ClientError) as bad_token:
        cw.describe_alarm_history(NextToken="not-a-token")
    assert bad_token.value.response["Error"]["Code"] == "InvalidNextToken"
    assert bad_token.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
