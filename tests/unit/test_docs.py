"""The documentation stays true to the code and to itself (no stack needed).

- docs/policy.md's generated reference is what scripts/policy_reference.py renders from the
  policy's models now;
- every relative link in README.md and docs/*.md names a file of the repository, and a
  heading of it where the link has an anchor.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scripts import policy_reference

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:, ...


def test_the_policy_reference_is_what_the_models_give() -> None:
    text = policy_reference.DOC.read_text()
    committed = policy_reference.committed(text)
    assert committed is not None, (
        "docs/policy.md lacks the policy-reference:start / policy-reference:end markers"
    )
    assert committed == policy_reference.render(), (
        "docs/policy.md's generated policy reference differs from the policy's models: "
        f"run `{policy_reference.COMMAND}` (python scripts/policy_reference.py) and commit it"
    )


def _prose(text: str) -> str:
    """The text without fenced code blocks and inline code, where links are not links."""
    return _CODE.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in _HEADING.findall(_FENCE.sub("", path.read_text())):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(path: Path) -> list[str]:
    return [t for t in _LINK.findall(_prose(path.read_text())) if not _EXTERNAL.match(t)]


def test_slug_is_githubs() -> None:
    assert slug("Multi-model endpoints (`mode: multi_model`)") == (
        "multi-model-endpoints-mode-multi_model"
    )
    assert slug("Experiments: shadow comparisons and A/B tests") == (
        "experiments-shadow-comparisons-and-ab-tests"
    )
    assert slug("The tests' stack") == "the-tests-stack"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        file_part, _, anchor = target.partition("#")
        resolved = (page.parent / file_part).resolve() if file_part else page
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(f"{target}: no file {file_part}")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: broken links:\n" + "\n".join(broken)
