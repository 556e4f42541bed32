"""docker-compose.yml: a stack that starts beside the local PostgreSQL and Redis the tests use.

Read as data (no docker daemon needed): only the API and Flower are published on the host, on
loopback and on overridable ports; every long-running service has a health check; migrations run
once, in `migrate`, before anything that uses the database; the test-only services stay out of a
plain `docker compose up`.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DEFAULT = {name: s for name, s in SERVICES.items() if not s.get("profiles")}


def test_only_the_api_and_flower_are_published_on_overridable_loopback_ports() -> None:
    published = {name: s["ports"] for name, s in DEFAULT.items() if s.get("ports")}
    assert set(published) == {"api", "flower"}
    assert published["api"] == ["127.0.0.1:${TRACKER_API_PORT:-8000}:8000"]
    assert published["flower"] == ["127.0.0.1:${TRACKER_FLOWER_PORT:-5555}:5555"]


def test_every_long_running_service_has_a_health_check() -> None:
    for name, service in SERVICES.items():
        if name == "migrate":  # one-shot: the others wait for it to complete successfully
            assert service.get("restart") == "no"
            continue
        assert "healthcheck" in service, f"{name} has no health check"


def test_migrations_run_once_before_every_tracker_process() -> None:
    assert SERVICES["migrate"]["command"] == ["db", "upgrade"]
    for name in ("worker", "beat", "api"):
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert "db" not in SERVICES[name]["command"]


def test_test_services_are_behind_a_profile_and_publish_overridable_ports() -> None:
    for name, variable in (("test-postgres", "TRACKER_TEST_PG_PORT"), ("test-redis", "TRACKER_TEST_REDIS_PORT")):
        assert SERVICES[name]["profiles"] == ["test"]
        (port,) = SERVICES[name]["ports"]
        assert re.fullmatch(rf"127\.0\.0\.1:\$\{{{variable}:-\d+\}}:\d+", port), port
