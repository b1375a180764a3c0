"""The control plane's delivery pipeline keeps its contracts (docs/delivery.md).

- CI (.github/workflows/ci.yml) runs ``make test`` on every pull request and push to main;
- Deploy (.github/workflows/deploy.yml) deploys only what CI passed on main, staging first,
  then production in its environment; AWS credentials only through OIDC, never long-lived keys;
- deploy/sam-deploy.sh passes the stage parameters only when their variables are set;
- deploy/github-oidc.yaml lets only the given repository's given environment assume the
  deploy role, with the audience sts.amazonaws.com.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from rollout_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
SAM_DEPLOY = ROOT / "deploy" / "sam-deploy.sh"
OIDC = ROOT / "deploy" / "github-oidc.yaml"
DOC = ROOT / "docs" / "delivery.md"

CONFIGURE_AWS = "aws-actions/configure-aws-credentials"
_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
_LONG_LIVED = re.compile(
    r"secrets\.AWS_|aws-access-key-id|aws-secret-access-key|aws-session-token"
    r"|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY",
    re.I,
)


def workflow(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), f"{path.name} is not a workflow"
    return document


def triggers(document: dict[str, Any]) -> dict[str, Any]:
    """The ``on:`` mapping (YAML 1.1 reads the bare key ``on`` as True)."""
    on = document.get("on", document.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    assert isinstance(on, dict), "a workflow without triggers"
    return on


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def runs(job: dict[str, Any]) -> list[str]:
    return [str(step["run"]) for step in steps(job) if "run" in step]


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs") or []
    return [value] if isinstance(value, str) else list(value)


def ancestors(jobs: dict[str, Any], name: str) -> set[str]:
    found: set[str] = set()
    todo = needs(jobs[name])
    while todo:
        parent = todo.pop()
        if parent not in found:
            found.add(parent)
            todo.extend(needs(jobs[parent]))
    return found


def permissions(document: dict[str, Any], job: dict[str, Any]) -> dict[str, str]:
    """A job's permissions: its own block replaces the workflow's."""
    value = job.get("permissions", document.get("permissions"))
    assert isinstance(value, dict), "permissions must be an explicit mapping"
    return value


def all_workflows() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))


# ---------------------------------------------------------------- CI


def test_ci_runs_make_test_on_every_pull_request_and_on_main() -> None:
    document = workflow(CI)
    on = triggers(document)
    assert "pull_request" in on
    pull_request = on["pull_request"] or {}
    assert not {"branches", "branches-ignore", "paths", "paths-ignore"} & set(pull_request), (
        "every pull request runs the tests, whatever it changes and wherever it goes"
    )
    assert "main" in on["push"]["branches"]
    testing = [job for job in document["jobs"].values() if "make test" in runs(job)]
    assert testing, "no job runs `make test`"
    for job in testing:
        assert "if" not in job, "the test job runs unconditionally"
        commands = runs(job)
        chromium = [i for i, run in enumerate(commands) if "install" in run and "chromium" in run]
        assert chromium and chromium[0] < commands.index("make test"), (
            "Debian's chromium is installed before `make test` (the browser tests need it)"
        )


def test_ci_is_read_only_and_cancels_only_superseded_pull_request_runs() -> None:
    document = workflow(CI)
    assert document["permissions"] == {"contents": "read"}
    for job in document["jobs"].values():
        assert "permissions" not in job or job["permissions"] == {"contents": "read"}
    concurrency = document["concurrency"]
    assert "pull_request" in str(concurrency["cancel-in-progress"]), (
        "cancel in progress for pull requests only, never a run on main"
    )


# ---------------------------------------------------------------- every workflow


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_actions_are_pinned_to_commits(path: Path) -> None:
    unpinned = []
    for line in path.read_text().splitlines():
        found = re.match(r"^\s*(?:-\s+)?uses:\s*(.+?)\s*$", line)
        action = found.group(1) if found else "./"
        if not action.startswith("./") and not _PINNED.match(action):
            unpinned.append(action)
    assert not unpinned, f"pin each action to a full commit SHA with a # vX comment: {unpinned}"


@pytest.mark.parametrize(
    "path", [*all_workflows(), SAM_DEPLOY, OIDC], ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_long_lived_aws_keys_anywhere(path: Path) -> None:
    found = _LONG_LIVED.findall(path.read_text())
    assert not found, f"{path.name}: AWS credentials come only from OIDC, found {found}"


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_every_job_with_aws_credentials_uses_oidc(path: Path) -> None:
    document = workflow(path)
    for name, job in document["jobs"].items():
        configuring = [s for s in steps(job) if str(s.get("uses", "")).startswith(CONFIGURE_AWS)]
        if not configuring:
            continue
        assert permissions(document, job).get("id-token") == "write", (
            f"{name}: id-token: write, for the OIDC token"
        )
        for step in configuring:
            given = step.get("with") or {}
            assert re.fullmatch(r"\$\{\{\s*vars\.DEPLOY_ROLE_ARN\s*\}\}", given["role-to-assume"])
            assert not {"aws-access-key-id", "aws-secret-access-key"} & set(given)


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_only_jobs_that_assume_a_role_may_ask_for_the_oidc_token(path: Path) -> None:
    document = workflow(path)
    assert document.get("permissions", {}).get("id-token") != "write", (
        "id-token: write per job, not for the whole workflow"
    )
    for name, job in document["jobs"].items():
        if (job.get("permissions") or {}).get("id-token") == "write":
            assert any(str(s.get("uses", "")).startswith(CONFIGURE_AWS) for s in steps(job)), name


# ---------------------------------------------------------------- Deploy


def deploy_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = workflow(DEPLOY)["jobs"]
    return jobs


def deploying(jobs: dict[str, Any]) -> dict[str, Any]:
    return {n: j for n, j in jobs.items() if any("sam-deploy.sh" in r for r in runs(j))}


def test_deploy_runs_only_after_ci_passed_on_main() -> None:
    document = workflow(DEPLOY)
    on = triggers(document)
    assert set(on) == {"workflow_run"}, "no other way in: not a push, not a manual run"
    assert on["workflow_run"]["workflows"] == [workflow(CI)["name"]]
    assert on["workflow_run"]["types"] == ["completed"]
    assert on["workflow_run"]["branches"] == ["main"]
    jobs = deploy_jobs()
    for name, job in jobs.items():
        if needs(job):
            continue
        condition = re.sub(r"\s+", " ", str(job.get("if", "")))
        # a root job: the gate every other job inherits through needs
        assert "github.event.workflow_run.conclusion == 'success'" in condition, name
        assert "github.event.workflow_run.event == 'push'" in condition, name
        assert "head_repository.full_name == github.repository" in condition, name
    for name, job in jobs.items():
        for step in steps(job):
            if str(step.get("uses", "")).startswith("actions/checkout"):
                assert step["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}", (
                    f"{name} checks out the commit CI tested"
                )


def test_staging_deploys_first_and_production_needs_it_in_its_environment() -> None:
    jobs = deploy_jobs()
    targets = deploying(jobs)
    assert {job["environment"] for job in targets.values()} == {"staging", "production"}
    staging = next(n for n, j in targets.items() if j["environment"] == "staging")
    production = next(n for n, j in targets.items() if j["environment"] == "production")
    assert staging in needs(jobs[production])
    assert production not in ancestors(jobs, staging)
    for name in targets:
        assert ancestors(jobs, name), f"{name} runs only behind the gated build"
        assert "if" not in jobs[name] or "always()" not in str(jobs[name]["if"])


def test_one_deployment_per_environment_never_cancelled() -> None:
    for name, job in deploying(deploy_jobs()).items():
        concurrency = job["concurrency"]
        assert job["environment"] in concurrency["group"], name
        assert concurrency["cancel-in-progress"] is False, name


def test_every_deploy_variable_is_documented() -> None:
    used = set(re.findall(r"vars\.([A-Z0-9_]+)", DEPLOY.read_text()))
    assert "DEPLOY_ROLE_ARN" in used
    doc = DOC.read_text()
    assert not sorted(v for v in used if f"`{v}`" not in doc), "docs/delivery.md names them all"


# ---------------------------------------------------------------- deploy/sam-deploy.sh


@pytest.fixture
def fake_sam(tmp_path: Path) -> Path:
    """A stand-in for sam that writes its arguments, one a line."""
    sam = tmp_path / "sam"
    sam.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path / "args"}"\n')
    sam.chmod(sam.stat().st_mode | stat.S_IXUSR)
    return sam


def sam_deploy(
    fake_sam: Path, **variables: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    environment = {"PATH": os.environ["PATH"], "SAM": str(fake_sam), **variables}
    done = subprocess.run(
        ["bash", str(SAM_DEPLOY)], env=environment, capture_output=True, text=True, check=False
    )
    args = fake_sam.parent / "args"
    return done, args.read_text().splitlines() if args.exists() else []


REQUIRED = {
    "STACK_NAME": "model-rollout",
    "ARTIFACT_BUCKET": "artifacts",
    "CLOUDFORMATION_ROLE_ARN": "arn:aws:iam::111111111111:role/cfn",
}


def test_sam_deploy_never_waits_for_a_person_and_passes_only_set_parameters(
    fake_sam: Path,
) -> None:
    done, args = sam_deploy(fake_sam, **REQUIRED, PROMOTION_SOURCE_ACCOUNTS="")
    assert done.returncode == 0, done.stderr
    assert args[0] == "deploy"
    assert {"--no-confirm-changeset", "--no-fail-on-empty-changeset"} <= set(args)
    # the stage roles have fixed names (<ResourcePrefix>-stage-promotion)
    assert {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} <= set(args)
    assert args[args.index("--stack-name") + 1] == "model-rollout"
    assert args[args.index("--role-arn") + 1] == REQUIRED["CLOUDFORMATION_ROLE_ARN"]
    overrides = args[args.index("--parameter-overrides") + 1 :]
    assert overrides == ["ResourcePrefix=model-rollout"], "only the prefix when nothing is set"

    done, args = sam_deploy(
        fake_sam,
        **REQUIRED,
        PROMOTION_SOURCE_ACCOUNTS="111111111111",
        REGISTRY_READER_ACCOUNTS="",
        ALLOWED_EVENT_ACCOUNTS="222222222222,111111111111",
        EXTRA_PARAMETER_OVERRIDES="LogLevel=DEBUG  RetainedReleases=3",
    )
    assert done.returncode == 0, done.stderr
    overrides = args[args.index("--parameter-overrides") + 1 :]
    assert overrides == [
        "ResourcePrefix=model-rollout",
        "AllowedEventAccounts=222222222222,111111111111",
        "PromotionSourceAccounts=111111111111",
        "LogLevel=DEBUG",
        "RetainedReleases=3",
    ]


def test_sam_deploy_refuses_without_its_variables(fake_sam: Path) -> None:
    done, args = sam_deploy(fake_sam, STACK_NAME="model-rollout")
    assert done.returncode == 2
    assert "ARTIFACT_BUCKET" in done.stderr and "CLOUDFORMATION_ROLE_ARN" in done.stderr
    assert args == [], "sam did not run"


# ---------------------------------------------------------------- deploy/github-oidc.yaml


def oidc() -> dict[str, Any]:
    return load_template(OIDC)


def test_the_provider_is_githubs_for_sts() -> None:
    provider = oidc()["Resources"]["GitHubOIDCProvider"]["Properties"]
    assert provider["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]


def test_only_the_given_repositorys_environment_may_assume_the_deploy_role() -> None:
    template = oidc()
    assert template["Parameters"]["GitHubEnvironment"]["AllowedValues"] == [
        "staging",
        "production",
    ]
    trust = template["Resources"]["GitHubDeployRole"]["Properties"]["AssumeRolePolicyDocument"]
    [statement] = trust["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert set(statement["Principal"]) == {"Federated"}
    condition = statement["Condition"]
    assert set(condition) == {"StringEquals"}, "exact matches only: no StringLike wildcards"
    claims = condition["StringEquals"]
    assert claims["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert claims["token.actions.githubusercontent.com:sub"] == {
        "Fn::Sub": "repo:${GitHubOrg}/${GitHubRepo}:environment:${GitHubEnvironment}"
    }


def test_the_deploy_role_changes_only_the_stack_through_cloudformations_role() -> None:
    resources = oidc()["Resources"]
    cfn_trust = resources["CloudFormationExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in cfn_trust["Statement"]] == [
        {"Service": "cloudformation.amazonaws.com"}
    ]
    [policy] = resources["GitHubDeployRole"]["Properties"]["Policies"]
    for statement in policy["PolicyDocument"]["Statement"]:
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        services = {action.split(":")[0] for action in actions}
        assert services <= {"cloudformation", "iam", "s3"}, statement["Sid"]
        assert not any(action.endswith("*") for action in actions), statement["Sid"]
        if "iam:PassRole" in actions:
            assert actions == ["iam:PassRole"]
            assert statement["Resource"] == {"Fn::GetAtt": ["CloudFormationExecutionRole", "Arn"]}
        if statement["Resource"] == "*":
            assert actions == ["cloudformation:ValidateTemplate"], statement["Sid"]
