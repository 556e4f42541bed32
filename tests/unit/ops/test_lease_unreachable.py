"""A beat lease that cannot ask Redis says so: the stand-down line names the broker, not a
phantom "other scheduler"."""

from __future__ import annotations

import socket

from tracker.config import Settings
from tracker.ops.leases import Lease


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_redis_is_recorded_as_the_reason_for_not_holding(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from workers.beat import stand_down_line

    settings = Settings(data_dir=tmp_path, broker_url=f"redis://127.0.0.1:{_closed_port()}/0")
    lease = Lease(settings, "beat-test", ttl_s=5)

    assert lease.hold() is False
    assert lease.error and "Connection refused" in lease.error
    line = stand_down_line(lease)
    assert line.startswith("the broker cannot be reached (") and "queues nothing until it answers" in line


def test_a_lease_held_elsewhere_has_no_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from workers.beat import stand_down_line

    settings = Settings(data_dir=tmp_path)  # the embedded broker: a file lock
    first, second = Lease(settings, "beat-test"), Lease(settings, "beat-test")

    assert first.hold() is True
    assert second.hold() is False and second.error is None
    assert "holds the beat lease of this broker: this one stands down" in stand_down_line(second)
    first.release()
