"""The domain library never imports Celery: only workers/ does (DESIGN.md's fixed split)."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import importlib, json, pkgutil, sys
import tracker

names, failed = [], {}
for info in pkgutil.walk_packages(tracker.__path__, prefix="tracker."):
    try:
        importlib.import_module(info.name)
        names.append(info.name)
    except Exception as exc:
        failed[info.name] = f"{type(exc).__name__}: {exc}"
celery = sorted(m for m in sys.modules if m == "celery" or m.startswith(("celery.", "kombu")))
print(json.dumps({"imported": names, "failed": failed, "celery": celery}))
"""


def test_no_tracker_module_imports_celery() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])

    assert not result["failed"], f"tracker modules failed to import: {result['failed']}"
    assert "tracker.pipeline" in result["imported"] and "tracker.cli.app" in result["imported"]
    assert result["celery"] == [], f"celery/kombu imported by tracker.*: {result['celery']}"
