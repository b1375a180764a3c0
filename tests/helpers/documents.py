"""Documents the control plane reads: policies, quality reports, approval events."""

from __future__ import annotations

from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"


def policy_document(endpoint_name: str = "churn-prod", **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "endpoint_name": endpoint_name,
        "instance_type": "ml.m5.large",
        "instance_count": 1,
        "strategy": {"type": "all_at_once", "bake_seconds": 600},
        "alarms": {
            "max_error_rate": 0.01,
            "max_p99_latency_ms": 500,
            "period_seconds": 60,
            "evaluation_periods": 1,
            "extra_alarm_names": [],
        },
        "validation": {
            "metric": "accuracy",
            "greater_is_better": True,
            "min_value": 0.80,
            "max_regression": 0.02,
        },
        "required_metadata": ["git_commit", "data_version", "build_id"],
    }
    document.update(overrides)
    return document


LINEAGE = {"git_commit": "0a1b2c3d", "data_version": "2026-01-01", "build_id": "build-42"}


def quality_report(value: float, metric: str = "accuracy") -> dict[str, Any]:
    return {
        "binary_classification_metrics": {
            metric: {"value": value, "standard_deviation": 0.01},
            "auc": {"value": 0.95, "standard_deviation": 0.01},
        }
    }


def approval_event(
    model_package_arn: str,
    *,
    group: str,
    version: int = 1,
    last_modified: str = "2026-03-01T10:00:00Z",
    event_id: str = "11111111-2222-3333-4444-555555555555",
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": ACCOUNT,
        "time": "2026-03-01T10:00:01Z",
        "region": REGION,
        "resources": [model_package_arn],
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageVersion": version,
            "ModelPackageArn": model_package_arn,
            "CreationTime": "2026-03-01T09:00:00Z",
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved",
            "UpdatedModelPackageFields": ["ModelApprovalStatus"],
            "LastModifiedTime": last_modified,
        },
    }
