"""Rollback reaction: from an alarm entering ALARM to the previous model serving 100%.

The product's watcher is event-driven: the alarm's state-change event fails the bake's
task token. The comparison is a watcher that polls the alarm every 10 s (what polling
tools do, e.g. Flagger's default interval is one minute) and then fails the same token; it
exists only here. Both run against the same deployments on the same local stack.
"""

from __future__ import annotations

import random
import threading
import time
from functools import partial
from typing import Any

from bench.common import Fleet, summary
from rollout_local.workbench import Workbench, wait_until

POLL_INTERVAL_SECONDS = 10


def _bake_in_progress(fleet: Fleet) -> tuple[str, dict[str, Any]]:
    """Approve a version and return its execution and document once its bake has begun."""
    arn = fleet.approve()
    execution_arn = fleet.bench.running_execution(arn, timeout=60)
    fleet.bench.wait_for_state(execution_arn, "Watch", timeout=60)
    document = fleet.bench.state_output(execution_arn, "CreateAlarms") or {}
    return arn, document


def _traffic_restored(fleet: Fleet, blue: str) -> bool:
    return fleet.bench.weights(fleet.endpoint).get(blue) == 1.0


def event_driven(bench: Workbench, rollbacks: int) -> dict[str, float]:
    fleet = Fleet(bench, "bench-react-events", bake_seconds=1)
    fleet.deploy()
    fleet.set_bake(600)  # every rollback ends its bake early
    to_state, to_serving = [], []
    for _ in range(rollbacks):
        arn, document = _bake_in_progress(fleet)
        blue: str = document["previous"]["variants"][0]["variant_name"]
        fired = time.time()
        bench.client("cloudwatch").set_alarm_state(
            AlarmName=document["alarms"]["alarm_names"][0], StateValue="ALARM", StateReason="bench"
        )
        wait_until(partial(_traffic_restored, fleet, blue), timeout=30, interval=0.01)
        to_serving.append(time.time() - fired)
        ended = bench.wait_for_execution(arn, timeout=180)
        assert ended["error"] == "RolledBack", ended
        to_state.append(rollback_entered(bench, ended["executionArn"]) - fired)
    return {
        **{f"event_alarm_to_rollback_state_{k}_s": v for k, v in summary(to_state).items()},
        **{f"event_alarm_to_previous_serving_{k}_s": v for k, v in summary(to_serving).items()},
    }


def rollback_entered(bench: Workbench, execution_arn: str) -> float:
    return float(
        next(
            e["timestamp"]
            for e in bench.history(execution_arn)
            if e.get("stateEnteredEventDetails", {}).get("name") == "Rollback"
        ).timestamp()
    )


def _breach(bench: Workbench, alarm: dict[str, Any], stop: threading.Event) -> None:
    """Keep the alarm's metrics breaching (a model that keeps failing) until ``stop``: a
    ``SetAlarmState`` lasts only until the alarm's next evaluation, shorter than a poll."""
    cloudwatch = bench.client("cloudwatch")
    metrics = [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]
    if not metrics:
        metrics = [{k: alarm[k] for k in ("Namespace", "MetricName", "Dimensions") if k in alarm}]
    while not stop.is_set():
        for metric in metrics:  # every input at 1,000: an error rate of 1, a huge latency
            cloudwatch.put_metric_data(
                Namespace=metric["Namespace"],
                MetricData=[
                    {
                        "MetricName": metric["MetricName"],
                        "Dimensions": metric.get("Dimensions", []),
                        "Value": 1000.0,
                    }
                ],
            )
        stop.wait(1.0)


def _poll_then_fail(bench: Workbench, table: str, document: dict[str, Any]) -> float:
    """Take over the bake's token from the event path, poll the alarm, fail the token.
    Returns the time at which the alarm entered ALARM (its ``StateUpdatedTimestamp``)."""
    dynamodb, cloudwatch = bench.client("dynamodb"), bench.client("cloudwatch")
    alarm_name = document["alarms"]["alarm_names"][0]
    token = None
    for name in document["alarms"]["alarm_names"]:
        item = dynamodb.get_item(TableName=table, Key={"waiter_key": {"S": f"alarm#{name}"}})
        token = item["Item"]["task_token"]["S"]
        dynamodb.delete_item(TableName=table, Key={"waiter_key": {"S": f"alarm#{name}"}})
    assert token is not None
    alarm = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0]
    stop = threading.Event()
    fire_at = random.uniform(0, POLL_INTERVAL_SECONDS)  # the alarm's phase vs the poll's

    def fire() -> None:
        if not stop.wait(fire_at):
            _breach(bench, alarm, stop)

    threading.Thread(target=fire, daemon=True).start()
    deadline = time.monotonic() + 3 * POLL_INTERVAL_SECONDS
    try:
        while time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL_SECONDS)
            polled = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0]
            if polled["StateValue"] == "ALARM":
                bench.client("stepfunctions").send_task_failure(
                    taskToken=token, error="AlarmFired", cause=f"alarm {alarm_name} (polled)"
                )
                return float(polled["StateUpdatedTimestamp"].timestamp())
    finally:
        stop.set()
    raise RuntimeError(f"the polling watcher never saw {alarm_name} in ALARM")


def polling(bench: Workbench, table: str, rollbacks: int, parallel: int = 10) -> dict[str, float]:
    """The same rollbacks with a 10 s polling watcher, ``parallel`` endpoints at a time (the
    poll interval dominates; running them side by side keeps the benchmark short)."""
    fleets = [Fleet(bench, f"bench-react-poll-{i}", bake_seconds=1) for i in range(parallel)]
    for fleet in fleets:
        fleet.deploy()
        fleet.set_bake(600)
    detections: list[float] = []
    lock = threading.Lock()

    def one(fleet: Fleet) -> None:
        arn, document = _bake_in_progress(fleet)
        fired = _poll_then_fail(bench, table, document)
        ended = bench.wait_for_execution(arn, timeout=180)
        assert ended["error"] == "RolledBack", ended
        with lock:
            detections.append(rollback_entered(bench, ended["executionArn"]) - fired)

    for _ in range(-(-rollbacks // parallel)):
        workers = [threading.Thread(target=one, args=(f,)) for f in fleets]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    if len(detections) < rollbacks:
        raise RuntimeError(f"only {len(detections)} of {rollbacks} polled rollbacks completed")
    return {f"polling_10s_alarm_to_rollback_state_{k}_s": v for k, v in summary(detections).items()}
