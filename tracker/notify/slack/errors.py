"""Slack's failures as tracker sees them: ``SlackDeliveryError`` with Slack's error code and a hint.

Web API errors arrive as ``SlackApiError`` (``api_error``), unreachable hosts as client or OS
errors (``unreachable``), and incoming-webhook errors as HTTP statuses with a plain-text body
(``webhook_error``). Codes in ``PERMANENT_ERRORS`` (auth, channel, payload) are permanent: the
delivery is recorded as failed; everything else (rate limits, server errors, network) is
transient and retried, after ``retry_after`` seconds when Slack sent ``Retry-After``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookResponse

from tracker import external
from tracker.errors import DeliveryError

#: Slack API errors that retrying cannot fix (the delivery is recorded as failed).
PERMANENT_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "ekm_access_denied",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "cant_update_message",
        "edit_window_closed",
        "message_not_found",
        # incoming webhooks answer with these bodies
        "invalid_token",
        "no_service",
        "no_service_id",
        "no_team",
        "team_disabled",
        "channel_is_archived",
        "action_prohibited",
        "posting_to_general_channel_denied",
        "invalid_payload",
        "user_not_found",
    }
)

#: What to do about an error, in words (used by ``tracker slack test`` and delivery errors).
ERROR_HINTS = {
    "invalid_auth": "the token is invalid: check TRACKER_SLACK_BOT_TOKEN (a bot token starts with xoxb-)",
    "not_authed": "no token was sent: set TRACKER_SLACK_BOT_TOKEN",
    "token_revoked": "the token was revoked: reinstall the Slack app and update TRACKER_SLACK_BOT_TOKEN",
    "account_inactive": "the token's user or app is deactivated",
    "missing_scope": "the bot lacks a scope: add chat:write (and channels:history for find_sent) and reinstall",
    "channel_not_found": "channel not found: check TRACKER_SLACK_CHANNEL (use the channel ID, e.g. C0123, "
    "for private channels) and that the bot can see it",
    "not_in_channel": "the bot is not a member of the channel: type /invite @<bot name> in it",
    "is_archived": "the channel is archived: unarchive it or choose another channel",
    "invalid_blocks": "Slack rejected the message blocks (a bug in tracker: please report it)",
    "no_service": "the incoming webhook was removed: create a new one and update TRACKER_SLACK_WEBHOOK_URL",
    "invalid_token": "the incoming webhook URL is invalid: check TRACKER_SLACK_WEBHOOK_URL",
    "channel_is_archived": "the webhook's channel is archived",
}


class SlackDeliveryError(DeliveryError):
    """Slack refused a call or could not be reached.

    Attributes:
        code (str): Slack's ``error`` (``channel_not_found``...), ``ratelimited``, ``http_<status>``
            for webhook statuses without a known body, ``unreachable``, or ``deadline`` (no complete
            answer in time).
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        permanent: bool = False,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ):
        super().__init__(message, permanent=permanent, retry_after=retry_after, outcome_unknown=outcome_unknown)
        self.code = code


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, (list, tuple)) else str(value)
    return None


def retry_after_s(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds of a ``Retry-After`` header, as Slack sends it; None when absent or nonsensical (logged).

    A negative, infinite or years-long value is treated as absent (``tracker.external``): it must
    never reach ``time.sleep`` or the delivery's retry bookkeeping.
    """
    return external.retry_after_s(_header(headers, "Retry-After"), what="Slack Retry-After")


def api_error(exc: SlackApiError, what: str) -> SlackDeliveryError:
    """Map a Web API error to ``SlackDeliveryError``: ``ratelimited`` (transient, with ``retry_after``)
    or Slack's code, permanent when retrying cannot fix it; ``what`` names the call in the message."""
    resp = exc.response
    code = (resp.get("error") if resp is not None else None) or "unknown_error"
    status = getattr(resp, "status_code", None)
    if status == 429 or code == "ratelimited":
        retry_after = retry_after_s(getattr(resp, "headers", None))
        return SlackDeliveryError(
            f"Slack rate-limited {what} (retry after {retry_after or '?'} s)",
            code="ratelimited",
            retry_after=retry_after,
        )
    hint = ERROR_HINTS.get(code)
    return SlackDeliveryError(
        f"Slack refused {what}: {code}" + (f" ({hint})" if hint else ""), code=code, permanent=code in PERMANENT_ERRORS
    )


def unreachable(exc: Exception, where: str) -> SlackDeliveryError:
    """A transient ``SlackDeliveryError`` (code ``unreachable``) for a network failure talking to ``where``."""
    return SlackDeliveryError(
        f"Slack is unreachable at {where}: {exc} (check the network and TRACKER_SLACK_API_URL)", code="unreachable"
    )


def too_slow(exc: Exception, method: str) -> SlackDeliveryError:
    """A transient ``SlackDeliveryError`` (code ``deadline``) for a call without a complete answer in time.

    A ``chat.postMessage`` or webhook post cut off this way may have posted: its outcome is
    unknown, so the delivery asks the channel before posting again (a webhook cannot tell).
    """
    return SlackDeliveryError(
        f"Slack {method}: {exc}", code="deadline", outcome_unknown=method in ("chat.postMessage", "webhook")
    )


def webhook_error(resp: WebhookResponse, what: str) -> SlackDeliveryError:
    """Map an incoming webhook's non-200 answer to ``SlackDeliveryError``.

    The code is the plain-text body when it looks like one (``no_service``), else ``http_<status>``;
    429 is transient with ``retry_after``; known codes and 400/403/404/410 are permanent.
    """
    body = (resp.body or "").strip()
    code = body if re.fullmatch(r"[a-z_]+", body) else f"http_{resp.status_code}"
    if resp.status_code == 429:
        retry_after = retry_after_s(resp.headers)
        return SlackDeliveryError(
            f"Slack webhook rate-limited {what} (retry after {retry_after or '?'} s)",
            code="ratelimited",
            retry_after=retry_after,
        )
    hint = ERROR_HINTS.get(code)
    permanent = code in PERMANENT_ERRORS or resp.status_code in (400, 403, 404, 410)
    return SlackDeliveryError(
        f"Slack webhook refused {what}: {resp.status_code} {code}" + (f" ({hint})" if hint else ""),
        code=code,
        permanent=permanent,
    )
