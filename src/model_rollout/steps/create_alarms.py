"""CreateAlarms: the deployment's bake alarms, then the new variant's autoscaling."""

from __future__ import annotations

from model_rollout.adapters.alarms import Alarms
from model_rollout.domain.alarm_specs import (
    alarm_specs,
    created_alarm_names,
    watched_alarm_names,
)
from model_rollout.domain.deployment import AlarmSet, Deployment
from model_rollout.workflow.scaling import Scaling, scale_new_variant


def create_alarms(deployment: Deployment, *, alarms: Alarms, resource_prefix: str) -> AlarmSet:
    """PutMetricAlarm for the deployment's alarms (idempotent); the set the bake watches."""
    for spec in alarm_specs(deployment, resource_prefix):
        alarms.put(spec)
    return AlarmSet(
        alarm_names=watched_alarm_names(deployment, resource_prefix),
        created_alarm_names=created_alarm_names(deployment, resource_prefix),
    )


def create_alarms_and_scaling(
    deployment: Deployment, *, alarms: Alarms, scaling: Scaling, resource_prefix: str
) -> AlarmSet:
    """CreateAlarms: the deployment's alarms, then the new variant's autoscaling."""
    alarm_set = create_alarms(deployment, alarms=alarms, resource_prefix=resource_prefix)
    scale_new_variant(deployment, scaling)
    return alarm_set
