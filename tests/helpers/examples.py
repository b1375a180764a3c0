"""Where the tests find AWS's example events: the repository's own copies in ``events/``.

``../shared/examples`` beside the project's root holds the originals (when it is there, a
test checks that the copies have not drifted from them).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
SHARED_EXAMPLES = ROOT.parent / "shared" / "examples"
APPROVED_EVENT = EVENTS / "model-package-state-change.approved.json"
