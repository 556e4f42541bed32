"""Running the suite in parallel (pytest-xdist): worker count, scheduling, each worker's share.

``tests/conftest.py`` imports the hooks below, so plain ``pytest`` runs in ``DEFAULT_WORKERS``
worker processes; ``-n N`` chooses another count, ``-n 0`` or ``-p no:xdist`` runs in one process.

Scheduling: tests go one at a time to the first idle worker, except the tests of a module in
``SHARED_SETUP_MODULES``, which go to one worker together, since they share a module-scoped
fixture that takes seconds to build (a replayed month of history, a browser). Workers order
their collection so the ``slow`` tests are handed out first: a 30-second test started last would
leave the other workers idle at the end.

Not ``addopts = "-n ..."``: with ``-p no:xdist`` pytest would reject the option. Not
``--dist loadgroup`` with ``xdist_group`` marks: pytest-xdist 3.8 renames the grouped tests in a
way pytest 9 ignores, so the groups are silently lost.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

#: Worker processes when the command line does not say (``-n``). Most of the suite's wall time is
#: spent waiting (worker processes starting, polls on a schedule, a browser), not computing, so
#: more workers than the 2 CPU cores of a CI machine still pays.
DEFAULT_WORKERS = 4

#: Modules with a module-scoped fixture; their tests run on one worker (the fixture is built once
#: per backend, not once per worker). A worker refuses to start when this list misses one.
SHARED_SETUP_MODULES = frozenset(
    {
        "tests/integration/test_adoption_faces.py",
        "tests/integration/test_api.py",
        "tests/integration/test_dashboard_browser.py",
        "tests/integration/test_stats_cli.py",
        "tests/unit/replay/test_replay.py",
        "tests/unit/notify/test_slack_blocks.py",
    }
)


def xdist_worker() -> tuple[int, int]:
    """This process's xdist worker index and the number of workers: ``(0, 1)`` without xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return (int(name.removeprefix("gw")) if name.startswith("gw") else 0), count


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Use ``DEFAULT_WORKERS`` workers and the module-group scheduling unless the command line says.

    Nothing to do with ``-p no:xdist``, ``--pdb``, ``--collect-only``, or inside a worker.
    """
    if "PYTEST_XDIST_WORKER" in os.environ or not config.pluginmanager.hasplugin("xdist"):
        return
    if config.getoption("usepdb", False) or config.option.collectonly:
        return
    if config.option.numprocesses is None:
        config.option.numprocesses = DEFAULT_WORKERS
    if config.option.dist == "no":
        config.option.dist = "loadgroup"  # served by ModuleGroupScheduling below


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # an xdist hook; tryfirst: before xdist's own
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``ModuleGroupScheduling`` for ``--dist loadgroup`` (the default set above); else xdist's."""
    if config.option.dist != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling  # only a controller with xdist gets here

    class ModuleGroupScheduling(LoadScopeScheduling):
        """One test per work unit, but one unit for all of a ``SHARED_SETUP_MODULES`` module."""

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in SHARED_SETUP_MODULES else nodeid

    return ModuleGroupScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In a worker: put the ``slow`` tests first; check ``SHARED_SETUP_MODULES`` is complete.

    Every worker collects the same items in the same order, as xdist requires.

    Raises:
        pytest.UsageError: a module with a module-scoped fixture is missing from the list.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    missing = sorted(
        {item.nodeid.split("::", 1)[0] for item in items if _uses_module_fixture(item)} - SHARED_SETUP_MODULES
    )
    if missing:
        raise pytest.UsageError(f"add {', '.join(missing)} to SHARED_SETUP_MODULES in {__file__}")
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _uses_module_fixture(item: pytest.Item) -> bool:
    fixtureinfo = getattr(item, "_fixtureinfo", None)  # pytest's: no public way to ask a fixture's scope
    if fixtureinfo is None:
        return False
    return any(defs[-1].scope == "module" for defs in fixtureinfo.name2fixturedefs.values() if defs)
