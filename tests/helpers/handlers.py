"""Load a step's handler module (every step's module is called ``app``) under its own name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def load_handler(step: str) -> ModuleType:
    """``functions/<step>/app.py`` as module ``functions_<step>_app`` (fresh each call)."""
    name = f"functions_{step}_app"
    spec = importlib.util.spec_from_file_location(name, FUNCTIONS / step / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
