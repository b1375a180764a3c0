"""CloudWatch ``DescribeAlarmHistory``: the alarm history AWS keeps, kept after DeleteAlarms.

moto has no ``DescribeAlarmHistory`` (a 500). This module records, per account and region,
the history items CloudWatch writes (the ``DescribeAlarmHistory`` API reference and the
``AlarmHistoryItem`` shape; the user guide's "Viewing alarm history"):

- ``StateUpdate`` on every change of an alarm's state, whoever makes it (the continuous
  evaluator of ``cloudwatch_alarms``, ``SetAlarmState``): both go through moto's
  ``Alarm.update_state``, the state-update point patched here. ``HistorySummary`` is
  ``Alarm updated from OK to ALARM``; ``HistoryData`` is the JSON CloudWatch writes,
  ``{"version": "1.0", "oldState": {...}, "newState": {...}}``, each state with
  ``stateValue``, ``stateReason`` and (when there is one) ``stateReasonData`` as an object.
- ``ConfigurationUpdate`` on ``PutMetricAlarm`` (moto has no ``PutCompositeAlarm``) (``Alarm "X"
  created`` / ``Alarm "X" updated``, ``HistoryData`` of ``type`` ``Create`` with
  ``createdAlarm`` / ``Update`` with ``updatedAlarm``) and on ``DeleteAlarms`` (``Alarm "X"
  deleted``, ``type`` ``Delete`` with ``deletedAlarm``).

Each item has ``AlarmName``, ``AlarmType`` (``MetricAlarm`` / ``CompositeAlarm``),
``Timestamp``, ``HistoryItemType``, ``HistorySummary`` and ``HistoryData``. The history is
the backend's, not the alarm's: it survives ``DeleteAlarms`` (AWS keeps a deleted alarm's
history), and goes with the backend when the local stack resets moto.

``DescribeAlarmHistory`` filters as the API reference describes: ``AlarmName``,
``AlarmTypes`` (default: metric alarms only), ``HistoryItemType``, ``StartDate`` /
``EndDate`` (inclusive), ``ScanBy`` (``TimestampDescending``, the default, or
``TimestampAscending``), ``MaxRecords`` (1-100, default 100) and ``NextToken``. ``Action``
items are not written: the local stack runs no alarm actions.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.models import Alarm, CloudWatchBackend, cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult

from rollout_local.extensions._fence import add, original, replace

_lock = threading.Lock()
_ATTRIBUTE = "_rollout_alarm_history"
HISTORY_ITEM_TYPES = ("ConfigurationUpdate", "StateUpdate", "Action", "AlarmContributorStateUpdate")


class InvalidNextToken(ServiceException):
    code = "InvalidNextToken"


class InvalidParameterValue(ServiceException):
    code = "InvalidParameterValue"


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _items(backend: CloudWatchBackend) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] | None = backend.__dict__.get(_ATTRIBUTE)
    if items is None:
        items = []
        setattr(backend, _ATTRIBUTE, items)
    return items


def history(backend: CloudWatchBackend) -> list[dict[str, Any]]:
    """The backend's history items, oldest first (a copy)."""
    with _lock:
        return list(_items(backend))


def _backend_of(alarm: Alarm) -> CloudWatchBackend:
    account_id = alarm.alarm_arn.split(":")[4]
    return cloudwatch_backends[account_id][alarm.region_name]


def _alarm_type(alarm: Alarm) -> str:
    return "CompositeAlarm" if alarm.rule is not None else "MetricAlarm"


def _record(
    backend: CloudWatchBackend,
    alarm: Alarm,
    item_type: str,
    summary: str,
    data: dict[str, Any],
    when: datetime | None = None,
) -> None:
    item = {
        "AlarmName": alarm.name,
        "AlarmType": _alarm_type(alarm),
        "Timestamp": _aware(when or datetime.now(UTC)),
        "HistoryItemType": item_type,
        "HistorySummary": summary,
        "HistoryData": json.dumps(data, separators=(",", ":")),
    }
    with _lock:
        _items(backend).append(item)


# --- StateUpdate ---------------------------------------------------------------------------


def _state(value: str, reason: str, reason_data: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"stateValue": value, "stateReason": reason}
    if reason_data and reason_data.strip() not in ("", "{}"):
        try:
            out["stateReasonData"] = json.loads(reason_data)
        except ValueError:
            out["stateReasonData"] = reason_data
    return out


_moto_update_state = original(
    Alarm, "update_state", ("self", "reason", "reason_data", "state_value")
)


def update_state(self: Alarm, reason: str, reason_data: str, state_value: str) -> None:
    old = _state(self.state_value, self.state_reason, self.state_reason_data)
    _moto_update_state(self, reason, reason_data, state_value)
    if old["stateValue"] == state_value:
        return
    data = {"version": "1.0", "oldState": old, "newState": _state(state_value, reason, reason_data)}
    _record(
        _backend_of(self),
        self,
        "StateUpdate",
        f"Alarm updated from {old['stateValue']} to {state_value}",
        data,
        self.state_updated_timestamp,
    )


# --- ConfigurationUpdate -------------------------------------------------------------------


def _configuration(alarm: Alarm) -> dict[str, Any]:
    out: dict[str, Any] = {
        "alarmName": alarm.name,
        "alarmArn": alarm.alarm_arn,
        "actionsEnabled": bool(alarm.actions_enabled),
        "alarmActions": list(alarm.alarm_actions or []),
        "okActions": list(alarm.ok_actions or []),
        "insufficientDataActions": list(alarm.insufficient_data_actions or []),
    }
    if alarm.description:
        out["alarmDescription"] = alarm.description
    if alarm.rule is not None:
        out["alarmRule"] = alarm.rule
        return out
    if alarm.metric_name:
        out["namespace"] = alarm.namespace
        out["metricName"] = alarm.metric_name
        out["dimensions"] = [{"name": d.name, "value": d.value} for d in alarm.dimensions]
        if alarm.statistic:
            out["statistic"] = alarm.statistic
        if alarm.extended_statistic:
            out["extendedStatistic"] = alarm.extended_statistic
        out["period"] = int(alarm.period or 60)
        if alarm.unit:
            out["unit"] = alarm.unit
    else:
        out["metrics"] = [
            {"id": q.id, "returnData": bool(q.return_data)} for q in alarm.metric_data_queries
        ]
    out["evaluationPeriods"] = int(alarm.evaluation_periods or 1)
    if alarm.datapoints_to_alarm:
        out["datapointsToAlarm"] = int(alarm.datapoints_to_alarm)
    if alarm.threshold is not None:
        out["threshold"] = float(alarm.threshold)
    out["comparisonOperator"] = alarm.comparison_operator
    out["treatMissingData"] = alarm.treat_missing_data or "missing"
    return out


def _configuration_update(backend: CloudWatchBackend, alarm: Alarm, kind: str) -> None:
    key = {"Create": "createdAlarm", "Update": "updatedAlarm", "Delete": "deletedAlarm"}[kind]
    verb = {"Create": "created", "Update": "updated", "Delete": "deleted"}[kind]
    data = {"version": "1.0", "type": kind, key: _configuration(alarm)}
    _record(backend, alarm, "ConfigurationUpdate", f'Alarm "{alarm.name}" {verb}', data)


def _put_wrapper(name: str) -> Any:
    moto_put = original(CloudWatchResponse, name, ("self",))

    def put(self: CloudWatchResponse) -> Any:
        alarm_name = self._get_param("AlarmName")
        existed = alarm_name in self.cloudwatch_backend.alarms
        result = moto_put(self)
        alarm = self.cloudwatch_backend.alarms.get(alarm_name)
        if alarm is not None:
            _configuration_update(self.cloudwatch_backend, alarm, "Update" if existed else "Create")
        return result

    put.__name__ = name
    return put


put_metric_alarm = _put_wrapper("put_metric_alarm")


_moto_delete_alarms = original(CloudWatchResponse, "delete_alarms", ("self",))


def delete_alarms(self: CloudWatchResponse) -> Any:
    names = self._get_param("AlarmNames", []) or []
    alarms = [
        self.cloudwatch_backend.alarms[n] for n in names if n in self.cloudwatch_backend.alarms
    ]
    result = _moto_delete_alarms(self)
    for alarm in alarms:
        if alarm.name not in self.cloudwatch_backend.alarms:
            _configuration_update(self.cloudwatch_backend, alarm, "Delete")
    return result


# --- DescribeAlarmHistory ------------------------------------------------------------------


def _date(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")))


def select(
    items: list[dict[str, Any]],
    *,
    alarm_name: str | None = None,
    alarm_types: list[str] | None = None,
    item_type: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    scan_by: str | None = None,
) -> list[dict[str, Any]]:
    """The items ``DescribeAlarmHistory`` returns for these filters, in its order."""
    types = set(alarm_types or ["MetricAlarm"])
    chosen = [
        i
        for i in items
        if (alarm_name is None or i["AlarmName"] == alarm_name)
        and i["AlarmType"] in types
        and (item_type is None or i["HistoryItemType"] == item_type)
        and (start is None or i["Timestamp"] >= start)
        and (end is None or i["Timestamp"] <= end)
    ]
    # the list is in recording order; a stable sort keeps it for equal timestamps
    chosen.sort(key=lambda i: i["Timestamp"])
    if (scan_by or "TimestampDescending") == "TimestampDescending":
        chosen.reverse()
    return chosen


def describe_alarm_history(self: CloudWatchResponse) -> ActionResult:
    item_type = self._get_param("HistoryItemType")
    if item_type is not None and item_type not in HISTORY_ITEM_TYPES:
        raise InvalidParameterValue(
            f"The value {item_type} for parameter HistoryItemType is not valid."
        )
    scan_by = self._get_param("ScanBy")
    if scan_by is not None and scan_by not in ("TimestampDescending", "TimestampAscending"):
        raise InvalidParameterValue(f"The value {scan_by} for parameter ScanBy is not valid.")
    max_records = int(self._get_param("MaxRecords") or 100)
    if not 1 <= max_records <= 100:
        raise InvalidParameterValue(
            f"The value {max_records} for parameter MaxRecords is not valid."
        )
    chosen = select(
        history(self.cloudwatch_backend),
        alarm_name=self._get_param("AlarmName"),
        alarm_types=self._get_param("AlarmTypes") or None,
        item_type=item_type,
        start=_date(self._get_param("StartDate")),
        end=_date(self._get_param("EndDate")),
        scan_by=scan_by,
    )
    token = self._get_param("NextToken")
    offset = 0
    if token:
        try:
            offset = int(token)
        except ValueError:
            raise InvalidNextToken("The service couldn't process the NextToken.") from None
        if not 0 <= offset <= len(chosen):
            raise InvalidNextToken("The service couldn't process the NextToken.")
    page = chosen[offset : offset + max_records]
    response: dict[str, Any] = {"AlarmHistoryItems": page}
    if offset + max_records < len(chosen):
        response["NextToken"] = str(offset + max_records)
    return ActionResult(response)


def install() -> None:
    replace(Alarm, "update_state", update_state, ("self", "reason", "reason_data", "state_value"))
    replace(CloudWatchResponse, "put_metric_alarm", put_metric_alarm, ("self",))
    replace(CloudWatchResponse, "delete_alarms", delete_alarms, ("self",))
    add(CloudWatchResponse, "describe_alarm_history", describe_alarm_history)
