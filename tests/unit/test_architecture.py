"""The package's layers hold: steps → strategies | modes → reporting → adapters → domain.

The contracts are in pyproject.toml (``[tool.importlinter]``); docs/architecture.md says
what each layer is for. Broken here means an import goes the wrong way.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_the_domain_does_not_reach_aws() -> None:
    """No module of the domain names boto3, even lazily inside a function."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "src" / "model_rollout" / "domain").rglob("*.py")
        if "boto3" in path.read_text() or "botocore" in path.read_text()
    ]
    assert offenders == []
