"""Which Redis eviction settings could lose queued tasks (pure judgement, no server)."""

from __future__ import annotations

import pytest

from tracker.ops.eviction import assess


@pytest.mark.parametrize("policy", ["noeviction", "volatile-lru", "volatile-ttl", "volatile-lfu", "volatile-random"])
def test_policies_that_never_evict_a_queue_pass(policy: str) -> None:
    check = assess(policy, 100_000_000)
    assert check.problem is None and not check.fatal


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_with_a_limit_are_fatal(policy: str) -> None:
    check = assess(policy, 100_000_000)
    assert check.fatal and policy in (check.problem or "") and "noeviction" in (check.problem or "")


def test_allkeys_without_a_limit_only_warns() -> None:
    check = assess("allkeys-lru", 0)
    assert not check.fatal and "as soon as a maxmemory limit" in (check.problem or "")


def test_unreadable_config_warns_with_the_fix() -> None:
    check = assess(None, None)
    assert not check.fatal and "CONFIG GET is disabled" in (check.problem or "")
