"""The settings groups, one per concern; ``Settings`` holds one of each (``settings.http.timeout``).

Every field keeps its flat ``TRACKER_*`` name (``env=``) and the default, bounds and validation it
had before grouping. Durations are seconds unless the name says days; times are UTC unless a
time zone setting says otherwise.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, field_validator

from tracker.config.fields import HttpUrl, IanaZone, SettingsGroup, setting

DEFAULT_HF_ENDPOINT = "https://huggingface.co"
DEFAULT_ARXIV_ENDPOINT = "https://export.arxiv.org/api/query"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class PollingSettings(SettingsGroup):
    """polling"""

    sources: str = setting(
        "hf,arxiv",
        env="sources",
        doc=("Which sources to poll, comma-separated: hf, arxiv (default), modelscope, github, feeds, daily_papers."),
    )
    interval: float = setting(
        300.0,
        env="poll_interval",
        gt=0,
        doc=("Seconds between two polls of one source for one lab (beat adds jitter)."),
    )
    family_window_days: float = setting(
        14.0, env="family_window_days", gt=0, doc=("Days within which repos of one family form one release.")
    )

    @property
    def enabled_sources(self) -> tuple[str, ...]:
        """Source slugs from ``sources`` (``"hf, arxiv"`` -> ``("hf", "arxiv")``), in order."""
        return tuple(dict.fromkeys(s.strip() for s in self.sources.split(",") if s.strip()))


class HubSettings(SettingsGroup):
    """Hugging Face Hub"""

    endpoint: HttpUrl = setting(
        DEFAULT_HF_ENDPOINT,
        env="hf_endpoint",
        also=("HF_ENDPOINT",),
        doc=("Hub API base URL: a mirror, or the replay hub in tests."),
    )
    web_url: str | None = setting(
        None,
        env="hf_web_url",
        doc=(
            "Base of links shown to people (a mirror or the replay hub differs from the API). "
            "Unset: TRACKER_HF_ENDPOINT."
        ),
    )
    token: SecretStr | None = setting(
        None,
        env="hf_token",
        also=("HF_TOKEN",),
        doc=("Hub token, sent as a bearer token to the Hub's host only. Raises the Hub's rate limits."),
    )

    @property
    def web_base(self) -> str:
        """The base of Hub links shown to people: ``web_url``, else ``endpoint`` (no trailing slash)."""
        return str(self.web_url or self.endpoint).rstrip("/")

    page_limit: int = setting(1000, env="hf_page_limit", ge=1, le=1000, doc="Models asked per listing page (1-1000).")
    requests_per_window: int = setting(
        500,
        env="hub_requests_per_window",
        ge=1,
        doc=("Hub API requests per window, shared by every worker through Redis (the Hub's rate-limits page)."),
    )
    window_s: float = setting(
        300.0,
        env="hub_window_s",
        gt=0,
        doc=("Seconds of that window: the Hub counts its API limit over 5-minute windows."),
    )


class ArxivSettings(SettingsGroup):
    """arXiv"""

    endpoint: HttpUrl = setting(DEFAULT_ARXIV_ENDPOINT, env="arxiv_endpoint", doc="arXiv API query URL.")
    min_interval: float = setting(
        3.0,
        env="arxiv_min_interval",
        ge=0,
        doc=("Seconds between two arXiv requests, all workers (arXiv's API terms ask for 3)."),
    )
    max_results: int = setting(100, env="arxiv_max_results", ge=1, le=2000, doc="Entries asked per page.")
    max_pages: int = setting(3, env="arxiv_max_pages", ge=1, doc="Pages fetched per query per poll.")
    backfill_days: float = setting(
        30.0,
        env="arxiv_backfill_days",
        gt=0,
        doc=("A paper first seen this many days after its v1 was published is history (baseline), not an alert."),
    )


class HttpSettings(SettingsGroup):
    """HTTP"""

    timeout: float = setting(30.0, env="http_timeout", gt=0, doc="Seconds for connect/read on every outbound request.")
    deadline: float = setting(
        45.0,
        env="http_deadline",
        gt=0,
        doc=(
            "Seconds; overall deadline of one outbound attempt (connect, headers and whole body, Slack Web API "
            "calls included; the whole SMTP "
            "exchange): a server that drips bytes fails the attempt instead of holding it for minutes. Four "
            "attempts fit in a poll task's 240 s soft time limit, one SMTP exchange in a delivery's 120 s."
        ),
    )
    max_retries: int = setting(
        4, env="http_max_retries", ge=1, doc=("Attempts per request on transient failures (429, 5xx, network errors).")
    )
    max_retry_after: float = setting(
        120.0,
        env="http_max_retry_after",
        ge=0,
        doc=("Seconds; a Retry-After longer than this is not waited for in-process: the next poll retries."),
    )
    max_body_bytes: int = setting(
        50 * 1024 * 1024,
        env="http_max_body_bytes",
        ge=1024,
        doc=("Cap on a decompressed response body, in bytes (a gzip bomb fails instead of eating memory)."),
    )
    concurrency: int = setting(16, env="http_concurrency", ge=1, doc="Concurrent requests per poll cycle.")
    user_agent: str = setting(
        "tracker/0.1 (+https://github.com/open-weight-tracker/tracker)",
        env="user_agent",
        doc="User-Agent of every outbound request.",
    )


class ModelScopeSettings(SettingsGroup):
    """ModelScope"""

    endpoint: HttpUrl = setting("https://modelscope.cn", env="modelscope_endpoint", doc="ModelScope base URL.")
    page_size: int = setting(100, env="modelscope_page_size", ge=1, le=1000, doc="Models asked per page (1-1000).")


class GitHubSettings(SettingsGroup):
    """GitHub"""

    api_url: HttpUrl = setting("https://api.github.com", env="github_api_url", doc="GitHub REST API base URL.")
    url: HttpUrl = setting("https://github.com", env="github_url", doc="GitHub web base URL (links shown to people).")
    token: SecretStr | None = setting(
        None, env="github_token", also=("GITHUB_TOKEN",), doc=("GitHub token: 5,000 requests/hour instead of 60.")
    )


class FeedsSettings(SettingsGroup):
    """feeds"""

    allow_private: bool = setting(
        False,
        env="allow_private_feeds",
        doc=("Allow feeds on private/loopback addresses (off: the SSRF guard refuses them)."),
    )
    allowed_hosts: str = setting(
        "", env="feed_allowed_hosts", doc=("Feed hosts exempt from the SSRF guard, comma-separated.")
    )

    @property
    def allowed_host_set(self) -> frozenset[str]:
        """Lower-cased host names from ``allowed_hosts``."""
        return frozenset(h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip())


class WorkerSettings(SettingsGroup):
    """workers"""

    concurrency: int = setting(
        2, env="worker_concurrency", ge=1, doc=("Worker processes (prefork) per `tracker worker` / `tracker run`.")
    )
    beat_lease_s: float = setting(
        30.0,
        env="beat_lease_s",
        ge=3,
        le=600,
        doc=(
            "Seconds; the beat scheduler's lease on its broker (one scheduler per broker) lives this long "
            "after its last renewal: a standby `tracker run`/`beat` takes over at most this long after the "
            "holder is killed (at once after a clean stop)."
        ),
    )


class DeliverySettings(SettingsGroup):
    """deliveries"""

    max_attempts: int = setting(
        6,
        env="delivery_max_attempts",
        ge=1,
        doc=("Sends tried before a delivery gives up into `failed` (`tracker deliveries --failed`)."),
    )
    stale_after_s: float = setting(
        300.0,
        env="delivery_stale_after_s",
        gt=0,
        doc=(
            "Seconds; a delivery still `sending` after this long was claimed by a worker that died (outcome "
            "unknown). Keep it longer than the deliver task's hard time limit."
        ),
    )
    email_fold_s: float = setting(
        600.0,
        env="email_fold_s",
        ge=0,
        doc=(
            "Seconds an email alert waits before it is sent, so the variants found meanwhile are folded into "
            "it: one email per release; later variants go to the digest."
        ),
    )


class SlackSettings(SettingsGroup):
    """Slack"""

    bot_token: SecretStr | None = setting(
        None,
        env="slack_bot_token",
        doc=("Bot token (chat:write, channels:history for exactly-once checks); with TRACKER_SLACK_CHANNEL..."),
    )
    channel: str | None = setting(None, env="slack_channel", doc="Default channel of the bot (#model-releases).")
    webhook_url: SecretStr | None = setting(
        None,
        env="slack_webhook_url",
        doc=("...or an incoming webhook, https://hooks.slack.com/services/... (no threads, no exactly-once check)."),
    )
    api_url: HttpUrl = setting(
        DEFAULT_SLACK_API_URL, env="slack_api_url", doc=("Slack Web API base (the local test server in tests).")
    )
    min_interval_s: float = setting(
        1.0, env="slack_min_interval_s", ge=0, doc=("Seconds between two new messages per channel (per process).")
    )
    max_retry_after_s: float = setting(
        30.0,
        env="slack_max_retry_after_s",
        ge=0,
        doc=("Seconds; a longer Slack 429 Retry-After reschedules the delivery instead of waiting."),
    )

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip().startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL (https://hooks.slack.com/services/...)")  # never echo the secret
        return value


class EmailSettings(SettingsGroup):
    """email"""

    smtp_url: SecretStr | None = setting(
        None,
        env="smtp_url",
        doc=(
            "SMTP relay URL, credentials in the URL: smtp:// (STARTTLS) or smtps://, "
            "e.g. smtp://user:password@smtp.example.org:587."
        ),
    )
    from_address: str | None = setting(None, env="email_from", doc="From address of every email (tracker@example.org).")
    smtp_timeout_s: float = setting(
        30.0, env="smtp_timeout_s", gt=0, doc=("Seconds for the SMTP connect, the greeting and each command.")
    )
    smtp_ca_file: Path | None = setting(
        None, env="smtp_ca_file", doc=("PEM bundle trusted for SMTP TLS instead of the system CAs (private relays).")
    )


class DigestSettings(SettingsGroup):
    """email digests"""

    timezone: IanaZone = setting(
        "UTC",
        env="digest_timezone",
        doc=("IANA zone of the digest periods (days, Monday-to-Monday weeks) and of the send hour."),
    )
    hour: int = setting(
        8, env="digest_hour", ge=0, le=23, doc=("Local hour at which beat sends the previous period's digest.")
    )
    send_empty: bool = setting(
        True, env="digest_send_empty", doc=('An empty period still gets a short "quiet week" digest (false: none).')
    )
    unsubscribe_url: str | None = setting(
        None,
        env="digest_unsubscribe_url",
        doc=("Unsubscribe link ({subscription_id} and {email} are filled in); sets List-Unsubscribe."),
    )


class ApiSettings(SettingsGroup):
    """API (`tracker serve`)"""

    webhook_secret: SecretStr | None = setting(
        None,
        env="webhook_secret",
        doc=("Shared secret of the Hugging Face webhook (X-Webhook-Secret); unset: POST /webhooks/huggingface is off."),
    )
    token: SecretStr | None = setting(
        None, env="api_token", doc=("Bearer token of the write endpoints (admin); unset: they answer 503.")
    )
    dashboard_url: str | None = setting(
        None,
        env="dashboard_url",
        doc=("Public base URL of `tracker serve` (https://tracker.example.org), linked from the weekly pulse."),
    )


class CadenceSettings(SettingsGroup):
    """cadence alerts"""

    quiet_factor_k: float = setting(
        3.0,
        env="quiet_factor_k",
        gt=0,
        doc=("A lab is quiet when the days since its last release exceed k x its median gap."),
    )
    quiet_min_releases: int = setting(
        4, env="quiet_min_releases", ge=2, doc=("Releases a lab needs before it can be called quiet.")
    )
    quiet_gap_floor_days: float = setting(
        7.0, env="quiet_gap_floor_days", ge=0, doc=("Days; the median gap used is at least this.")
    )
    burst_min_releases: int = setting(
        3, env="burst_min_releases", ge=2, doc=("A lab is bursting with at least this many releases in 7 days.")
    )


class PulseSettings(SettingsGroup):
    """weekly pulse"""

    enabled: bool = setting(True, env="pulse_enabled", doc="Send the weekly pulse to every active alert subscription.")
    weekday: int = setting(0, env="pulse_weekday", ge=0, le=6, doc="Weekday of the pulse: 0 = Monday ... 6 = Sunday.")
    hour: int = setting(9, env="pulse_hour", ge=0, le=23, doc="Local hour of the pulse.")
    timezone: IanaZone = setting(
        "UTC", env="pulse_timezone", doc=("IANA zone of the pulse's ISO weeks and schedule (Europe/Paris...).")
    )
