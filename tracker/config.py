"""Settings for tracker, read from the environment (prefix ``TRACKER_``) or a ``.env`` file.

Settings are built once in an entry point (the CLI, the API app, the Celery app) and passed down
explicitly; nothing in tracker reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HF_ENDPOINT = "https://huggingface.co"
DEFAULT_ARXIV_ENDPOINT = "https://export.arxiv.org/api/query"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    """Runtime configuration; every field maps to ``TRACKER_<NAME>`` (see DESIGN.md's table).

    Attributes:
        data_dir (Path): where embedded files live (SQLite database, kombu broker file, beat
            schedule). Defaults to the platform's user-data dir (``platformdirs``).
        database_url (str, optional): any SQLAlchemy URL. None means ``sqlite:///<data_dir>/tracker.db``.
        broker_url (str, optional): Celery broker URL. None means the server-less kombu
            SQLAlchemy transport ``sqla+sqlite:///<data_dir>/broker.db``.
        watchlist (Path, optional): user watchlist TOML; None means the packaged default.
        hf_endpoint (str): Hub base URL (also read from ``HF_ENDPOINT``).
        hf_token (SecretStr, optional): Hub token, sent as a bearer token (also ``HF_TOKEN``).
        arxiv_endpoint (str): arXiv API query URL.
        arxiv_min_interval (float): seconds between two arXiv requests (arXiv asks for 3).
        poll_interval (float): seconds between two polls of one source for one lab.
        family_window_days (float): days within which repos of one family form one release.
        arxiv_backfill_days (float): a paper first seen this many days after its v1 was
            published is recorded as history (baseline), not alerted.
        http_timeout (float): seconds for connect/read on every outbound request.
        http_max_retries (int): attempts per request for transient failures (429, 5xx, network).
        http_max_retry_after (float): seconds; a Retry-After longer than this is not waited for
            in-process: the request fails and the next poll retries.
        http_max_body_bytes (int): cap on a decompressed response body, in bytes.
        http_concurrency (int): concurrent requests per poll cycle.
        hf_page_limit (int): ``limit`` asked of the Hub listing per page.
        arxiv_max_results (int): entries asked of arXiv per page.
        arxiv_max_pages (int): pages fetched per arXiv query per poll.
        slack_* / smtp_url / email_from / webhook_secret / api_token: notification and API settings.
        delivery_max_attempts (int): sends tried before a delivery gives up into ``failed``.
        delivery_stale_after_s (float): seconds; a delivery still ``sending`` after this long was
            claimed by a worker that died (its outcome is unknown, see ``tracker.outbox.deliver``).
        hub_requests_per_window / hub_window_s (int, float): Hub API requests allowed per window
            of ``hub_window_s`` seconds, shared by every worker through Redis (``tracker.http.ratelimit``).
        digest_* / smtp_timeout_s / smtp_ca_file: email digests (``tracker.briefings.digest``): the periods'
            time zone, the local send hour, quiet-period digests, the unsubscribe link, the SMTP
            timeout (seconds) and a private CA bundle for SMTP TLS.
    """

    model_config = SettingsConfigDict(
        env_prefix="TRACKER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("tracker")))
    database_url: str | None = None
    broker_url: str | None = None
    watchlist: Path | None = None

    hf_endpoint: str = Field(
        default=DEFAULT_HF_ENDPOINT,
        validation_alias=AliasChoices("TRACKER_HF_ENDPOINT", "HF_ENDPOINT"),
    )
    hf_web_url: str | None = None  # links shown to people; None = hf_endpoint (a mirror or replay hub differs)
    hf_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TRACKER_HF_TOKEN", "HF_TOKEN")
    )
    hf_page_limit: int = Field(default=1000, ge=1, le=1000)
    arxiv_endpoint: str = DEFAULT_ARXIV_ENDPOINT
    arxiv_min_interval: float = Field(default=3.0, ge=0)
    arxiv_max_results: int = Field(default=100, ge=1, le=2000)
    arxiv_max_pages: int = Field(default=3, ge=1)

    poll_interval: float = Field(default=300.0, gt=0)
    family_window_days: float = Field(default=14.0, gt=0)
    arxiv_backfill_days: float = Field(default=30.0, gt=0)
    http_timeout: float = Field(default=30.0, gt=0)
    http_max_retries: int = Field(default=4, ge=1)
    http_max_retry_after: float = Field(default=120.0, ge=0)
    http_max_body_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    http_concurrency: int = Field(default=16, ge=1)
    user_agent: str = "tracker/0.1 (+https://github.com/open-weight-tracker/tracker)"

    slack_bot_token: SecretStr | None = None
    slack_channel: str | None = None
    slack_webhook_url: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_min_interval_s: float = Field(default=1.0, ge=0)  # seconds between new messages per channel (per process)
    slack_max_retry_after_s: float = Field(default=30.0, ge=0)  # longer Slack 429 Retry-After: retry the delivery later
    smtp_url: SecretStr | None = None
    email_from: str | None = None
    webhook_secret: SecretStr | None = None
    api_token: SecretStr | None = None

    sources: str = "hf,arxiv"
    modelscope_endpoint: str = "https://modelscope.cn"
    modelscope_page_size: int = Field(default=100, ge=1, le=1000)
    github_api_url: str = "https://api.github.com"
    github_url: str = "https://github.com"
    github_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TRACKER_GITHUB_TOKEN", "GITHUB_TOKEN")
    )
    allow_private_feeds: bool = False
    feed_allowed_hosts: str = ""

    worker_concurrency: int = Field(default=2, ge=1)
    log_level: str = "INFO"

    #: issue 3: deliveries, shared rate limits (see tracker.outbox.deliver, tracker.http.ratelimit)
    delivery_max_attempts: int = Field(default=6, ge=1)  # sends tried before a delivery is `failed`
    delivery_stale_after_s: float = Field(default=300.0, gt=0)  # a `sending` claim older than this is `unknown` (> the task hard limit)
    hub_requests_per_window: int = Field(default=500, ge=1)  # Hub API requests per window, all workers (Hub rate-limits page)
    hub_window_s: float = Field(default=300.0, gt=0)  # the Hub counts its API limit over 5-minute windows

    #: issue 9: cadence alerts and the weekly pulse (formulas in tracker.briefings.cadence_alerts, tracker.briefings.pulse)
    quiet_factor_k: float = Field(default=3.0, gt=0)  # quiet when days since the last release > k x median gap
    quiet_min_releases: int = Field(default=4, ge=2)  # releases a lab needs before it can be called quiet
    quiet_gap_floor_days: float = Field(default=7.0, ge=0)  # the median gap used is at least this (days)
    burst_min_releases: int = Field(default=3, ge=2)  # bursting with >= this many releases in 7 days
    pulse_enabled: bool = True  # send the weekly pulse to every active alert subscription
    pulse_weekday: int = Field(default=0, ge=0, le=6)  # 0 = Monday ... 6 = Sunday, in pulse_timezone
    pulse_hour: int = Field(default=9, ge=0, le=23)  # local hour of the pulse, in pulse_timezone
    pulse_timezone: str = "UTC"  # IANA zone of the pulse's ISO weeks and schedule (Europe/Paris...)
    dashboard_url: str | None = None  # public base URL of `tracker serve`, linked from the pulse

    @field_validator("pulse_timezone")
    @classmethod
    def _pulse_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. UTC, Europe/Paris, Asia/Shanghai)") from exc
        return value.strip()

    #: issue 5: email digests (see tracker.briefings.digest, tracker.notify.email.notifier)
    digest_timezone: str = "UTC"  # IANA zone of the digest periods (days, Monday-to-Monday weeks) and send hour
    digest_hour: int = Field(default=8, ge=0, le=23)  # local hour at which beat sends the previous period's digest
    digest_send_empty: bool = True  # an empty period still gets a short "quiet week" digest (False: none)
    digest_unsubscribe_url: str | None = None  # {subscription_id} and {email} are filled in; sets List-Unsubscribe
    smtp_timeout_s: float = Field(default=30.0, gt=0)  # seconds for the SMTP connect, greeting and each command
    smtp_ca_file: Path | None = None  # PEM bundle trusted for SMTP TLS instead of the system CAs (private relays)

    @field_validator("digest_timezone")
    @classmethod
    def _digest_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        value = value.strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. UTC, Europe/Paris, Asia/Shanghai)") from None
        return value

    @field_validator("hf_endpoint", "arxiv_endpoint", "slack_api_url", "modelscope_endpoint",
                     "github_api_url", "github_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value

    @field_validator("slack_webhook_url")
    @classmethod
    def _webhook_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip().startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL (https://hooks.slack.com/services/...)")  # never echo the secret
        return value

    @property
    def enabled_sources(self) -> tuple[str, ...]:
        """Source slugs from ``sources`` (``"hf, arxiv"`` -> ``("hf", "arxiv")``), in order."""
        return tuple(dict.fromkeys(s.strip() for s in self.sources.split(",") if s.strip()))

    @property
    def feed_allowed_host_set(self) -> frozenset[str]:
        """Lower-cased host names from ``feed_allowed_hosts``."""
        return frozenset(h.strip().lower() for h in self.feed_allowed_hosts.split(",") if h.strip())

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL to use: ``database_url`` or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.data_dir / 'tracker.db'}"

    @property
    def resolved_broker_url(self) -> str:
        """The Celery broker URL: ``broker_url`` or the server-less kombu SQLAlchemy transport."""
        return self.broker_url or f"sqla+sqlite:///{self.data_dir / 'broker.db'}"

    def ensure_data_dir(self) -> Path:
        """Create ``data_dir`` if needed and return it.

        Raises:
            ConfigError: it exists as a file, or cannot be created.
        """
        from tracker.errors import ConfigError

        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"TRACKER_DATA_DIR {self.data_dir} is not a usable directory: "
                              f"{exc.strerror or exc}") from exc
        return self.data_dir
