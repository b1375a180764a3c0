"""Regenerate events/CompareShadowFunction.json and events/EvaluateABFunction.json from a
shadow deployment and an A/B test on the embedded local stack (their real inputs, from the
execution history). Run: `.venv/bin/python -m scripts.capture_experiment_events`."""

from __future__ import annotations

import json

from rollout_cli.demo import POLICY, free_port
from rollout_local.experiment_workbench import conversions, publish_outcomes
from rollout_local.server import LocalStack
from rollout_local.workbench import Workbench, linear_model, quality_report
from scripts.capture_events import EVENTS, ROOT, code_dir, function_inputs

GROUP, ENDPOINT = "churn", "churn-prod"
WANTED = ("CompareShadowFunction", "EvaluateABFunction")


def main() -> None:
    with LocalStack(port=free_port()) as stack:
        bench = Workbench(endpoint_url=stack.endpoint_url)
        strategies = [
            {"type": "all_at_once", "bake_seconds": 2},
            {"type": "shadow", "duration_seconds": 3, "comparison": {"min_pairs": 5}},
            {
                "type": "ab",
                "metric": {"name": "Converted", "namespace": "Churn/AB"},
                "min_samples_per_variant": 100,
                "duration_seconds": 3,
            },
        ]
        captured: dict[str, object] = {}
        for number, strategy in enumerate(strategies, start=1):
            bench.put_policy(GROUP, {**POLICY, "strategy": strategy})
            name = f"{GROUP}-v{number}"
            arn = bench.register(
                GROUP,
                model_url=bench.upload_model(name, linear_model([0.4, 0.1, 0.2], bias=0.1)),
                report_url=bench.upload_report(name, quality_report("accuracy", 0.9)),
                metadata={
                    "git_commit": f"9fceb0{number}",
                    "data_version": f"s3://churn-data/2026-11-0{number}",
                    "build_id": f"build-{number}",
                },
            )
            with bench.traffic(ENDPOINT, rate_per_second=20):
                bench.approve(arn)
                if strategy["type"] == "ab":
                    execution_arn = bench.running_execution(arn)
                    bench.wait_for_state(execution_arn, "WatchAB")
                    for variant in bench.weights(ENDPOINT):
                        publish_outcomes(
                            bench,
                            ENDPOINT,
                            variant,
                            namespace="Churn/AB",
                            metric="Converted",
                            values=conversions(400, 44),
                        )
                execution = bench.wait_for_execution(arn, timeout=120)
            for function_name, payload in function_inputs(bench, execution["executionArn"]).items():
                captured[function_name] = payload
        for function_name, payload in sorted(captured.items()):
            logical_id = code_dir(stack, function_name) or function_name
            if logical_id in WANTED:
                target = EVENTS / f"{logical_id}.json"
                target.write_text(json.dumps(payload, indent=2, default=str) + "\n")
                print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
