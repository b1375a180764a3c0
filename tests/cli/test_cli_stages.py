"""`rollout stage` and `rollout requalify`: a quarantined version, and the one way back."""

from __future__ import annotations

from tests.cli.conftest import Cli
from tests.e2e.scenario import Scenario


def test_a_quarantined_version_is_shown_and_requalified_by_name_then_deployed_again(
    cli: Cli, cli_scenario: Scenario
) -> None:
    scenario = cli_scenario
    scenario.policy(
        stages=[
            {"name": "staging", "endpoint_name": f"{scenario.endpoint}-staging"},
            {"name": "prod", "endpoint_name": f"{scenario.endpoint}-prod"},
        ]
    )
    arn, failed = scenario.deploy(fail_to_start=True)
    assert (failed["status"], failed["error"]) == ("FAILED", "RolledBack")

    shown = cli.json("stage", arn)
    assert shown["quarantined"] is True and shown["approval_status"] == "Rejected"
    assert cli.run("stage", arn).stdout.count("quarantined") >= 1
    # the reason is required, and only a quarantined version can be requalified
    assert "--reason" in cli.run("requalify", arn, expect=2).stderr
    refused = cli.run("requalify", scenario.register(), "--reason", "x", expect=1)
    assert "is not quarantined" in refused.stderr

    done = cli.json("requalify", arn, "--reason", "the image was fixed upstream")
    again = scenario.bench.wait_for_execution(arn, timeout=90, started_after=1)

    assert done["approval_status"] == "Approved" and done["stage_status"] == "Requalified"
    assert done["requalified_by"].startswith("arn:aws:")
    assert "the image was fixed upstream" in done["approval_description"]
    assert done["approval_description"].startswith("requalified by arn:aws:")
    assert done["stage_description"] == done["approval_description"]
    # deployed again from the first stage; the model still fails to start: quarantined again
    assert (again["status"], again["error"]) == ("FAILED", "RolledBack")
    assert cli.json("stage", arn)["quarantined"] is True
