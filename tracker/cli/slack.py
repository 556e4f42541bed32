"""``tracker slack test``: send a sample message to check the Slack configuration.

Says clearly what is wrong: ``invalid_auth`` (bad token), ``channel_not_found`` (wrong channel),
``not_in_channel`` (bot not invited), ``is_archived``, or Slack unreachable. Exit codes: 0 the
message was posted; 1 Slack refused it or could not be reached; 2 Slack is not configured.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from tracker.cli.app import app, console, err_console, esc, handle_errors, load_context
from tracker.errors import ConfigError

slack_app = typer.Typer(help="Slack: check the configuration.", no_args_is_help=True)
app.add_typer(slack_app, name="slack")


@slack_app.command("test")
@handle_errors
def slack_test(
    channel: Annotated[str | None, typer.Option(help="channel id or #name (default TRACKER_SLACK_CHANNEL)")] = None,
) -> None:
    """Send a sample message to Slack and say what is wrong if it fails."""
    from tracker.notify.slack.notifier import SlackDeliveryError, SlackNotifier  # slack_sdk: only this command

    settings = load_context().settings
    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)  # its retry log lines; we print the outcome
    if not (settings.slack.bot_token or settings.slack.webhook_url):
        raise ConfigError(
            "Slack is not configured: set TRACKER_SLACK_BOT_TOKEN and TRACKER_SLACK_CHANNEL "
            "(threads, updates), or TRACKER_SLACK_WEBHOOK_URL (no threads)"
        )
    target = channel or settings.slack.channel
    if settings.slack.bot_token and not target:
        raise ConfigError("no Slack channel: set TRACKER_SLACK_CHANNEL or pass --channel")
    notifier = SlackNotifier.from_settings(settings, channel=target)
    where = f"channel {target}" if settings.slack.bot_token else "the incoming webhook"
    try:
        result = notifier.check()
    except SlackDeliveryError as exc:
        err_console.print(
            f"[bold red]Slack test failed ({esc(exc.code)}):[/] could not post to {esc(where)}.", highlight=False
        )
        err_console.print(f"  {exc}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    if result["mode"] == "webhook":
        console.print(
            "[green]Slack OK:[/] posted a sample message through the incoming webhook "
            "(webhook mode: no threads; variants arrive as follow-up messages).",
            highlight=False,
        )
    else:
        console.print(
            f"[green]Slack OK:[/] posted a sample message to {esc(target)} (channel id {esc(result['channel'])}, "
            f"ts {esc(result['ts'])}) as {esc(result['user'])} in {esc(result['team'])}.",
            highlight=False,
        )
