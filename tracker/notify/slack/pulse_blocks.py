"""Pure Slack Block Kit builders for the lab-cadence messages: the weekly pulse and the quiet/burst alerts.

Same rules as the alert builders (``tracker.notify.slack.blocks``): every external string (lab
names, release titles) is escaped with ``escape`` before it goes into a text object, texts are
truncated within Block Kit limits by ``truncate``/``section``/``context``, and ``fit_blocks``
keeps at most 50 blocks. ``tracker.notify.slack.blocks.render_text`` shows them as a reader would.

Layout of the pulse (top to bottom): header ``Weekly pulse · 2025-W18``; a summary line (total
releases, labs, the week's dates and zone); *By country* with each country's share against its
trailing share; *By lab* with the releases' titles; *Adoption* (recent releases' relative adoption, when any has a
ratio); *New on the radar* (orgs outside the watchlist that crossed the radar's alert score this
week, when any did); *Cadence status* grouped as bursting, quiet,
on cadence and new; a dashboard link when ``TRACKER_DASHBOARD_URL`` is set; a context line with
the definitions.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from tracker.notify.content import AdoptionLine, CountryWeek, LabStatusView, LabWeek, Message, Pulse
from tracker.notify.content.pulse import BURSTING, NEW, ON_CADENCE, QUIET
from tracker.notify.slack.blocks import flag, short_lab
from tracker.notify.slack.mrkdwn import (
    FALLBACK_TEXT_MAX,
    SECTION_TEXT_MAX,
    Block,
    SlackContent,
    context,
    escape,
    fit_blocks,
    link,
    plain,
    section,
)
from tracker.notify.slack.radar_blocks import radar_line_text

#: Emoji (Slack short codes) per status.
STATUS_EMOJI = {BURSTING: ":fire:", QUIET: ":zzz:", ON_CADENCE: ":white_check_mark:", NEW: ":seedling:"}
STATUS_TITLE = {
    BURSTING: "Bursting",
    QUIET: "Quiet",
    ON_CADENCE: "On cadence",
    NEW: "New (too little history to judge)",
}


def lines_within(lines: list[str], limit: int) -> str:
    """Join escaped lines while they fit ``limit`` characters; then one ``… and N more`` line."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        reserve = 24 if i < len(lines) - 1 else 0
        if used + len(line) + 1 + reserve > limit:
            out.append(f"… and {len(lines) - i} more")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _dates(pulse: Pulse) -> str:
    tz = ZoneInfo(pulse.timezone)
    first = pulse.start.astimezone(tz).date()
    last = (pulse.end.astimezone(tz) - timedelta(seconds=1)).date()
    span = (
        f"{first:%b} {first.day} – {last:%b} {last.day}, {last.year}"
        if first.year == last.year
        else f"{first:%b} {first.day}, {first.year} – {last:%b} {last.day}, {last.year}"
    )
    return f"{span} ({pulse.timezone})"


def country_line(c: CountryWeek) -> str:
    """``🇨🇳 *CN* 4 · 57% (12-week average 61%, -4 pts)`` (escaped)."""
    head = f"{flag(c.country)} *{escape(c.country)}* {c.releases}".strip()
    if c.releases:
        head += f" · {_pct(c.share)}"
    if c.trailing_share is None:
        return head + " (no releases in the trailing weeks)"
    delta = c.delta_pts or 0.0
    sign = "+" if delta > 0.5 else ("−" if delta < -0.5 else "±")
    return head + f" (trailing average {_pct(c.trailing_share)}, {sign}{abs(delta):.0f} pts)"


def lab_line(w: LabWeek) -> str:
    """``• *Qwen* 🇨🇳 2: Qwen3, Qwen2.5-Omni`` (escaped)."""
    return f"• *{escape(short_lab(w.lab_name))}* {flag(w.country)} {w.releases}: {escape(', '.join(w.titles))}"


def adoption_line(a: AdoptionLine) -> str:
    """``• *Qwen*: Qwen3: Adopted 3.2× faster than a typical 10–100B release (...)`` (escaped)."""
    return f"• *{escape(short_lab(a.lab_name))}*: {escape(a.title)}: {escape(a.sentence)}"


def status_lines(statuses: tuple[LabStatusView, ...], names: dict[str, str]) -> list[str]:
    """One line per status group, labs named; quiet and bursting labs say why (escaped)."""
    lines = []
    for status in (BURSTING, QUIET, ON_CADENCE, NEW):
        group = [s for s in statuses if s.status == status]
        if not group:
            continue

        def name(s: LabStatusView) -> str:
            return escape(short_lab(names.get(s.lab, s.lab)))

        if status == BURSTING:
            items = [f"{name(s)} ({s.releases_7d} releases in 7 days)" for s in group]
        elif status == QUIET:
            items = [
                f"{name(s)} ({s.days_since_last:.0f} days silent, usually every {s.median_gap_days:.0f})" for s in group
            ]
        else:
            items = [name(s) for s in group]
        lines.append(f"{STATUS_EMOJI[status]} *{STATUS_TITLE[status]}*: {', '.join(items)}")
    return lines


def pulse_content(pulse: Pulse, *, dashboard_url: str | None = None) -> SlackContent:
    """Render the weekly pulse as Block Kit blocks and fallback text.

    Args:
        pulse (Pulse): from ``tracker.briefings.pulse.build_pulse``.
        dashboard_url (str, optional): base URL of ``tracker serve``; linked when set.

    Returns:
        SlackContent: at most 50 blocks within Block Kit limits.
    """
    labs_n = len(pulse.labs)
    what = "release" if pulse.total == 1 else "releases"
    summary = (
        f"*{pulse.total} open-weight {what}* from {labs_n} lab{'s' if labs_n != 1 else ''}, {escape(_dates(pulse))}"
    )
    if not pulse.complete:
        summary += f", counted up to {pulse.as_of:%a %H:%M} UTC (week in progress)"
    blocks: list[Block] = [{"type": "header", "text": plain(escape(f"Weekly pulse · {pulse.week}"))}, section(summary)]
    if pulse.countries:
        lines = [country_line(c) for c in pulse.countries]
        body = lines_within(lines, SECTION_TEXT_MAX - 40)
        blocks.append(
            section(
                f"*By country* (share of this week's releases vs the {pulse.trailing_weeks} weeks "
                f"before, {pulse.trailing_total} releases)\n{body}"
            )
        )
    if pulse.labs:
        body = lines_within([lab_line(w) for w in pulse.labs], SECTION_TEXT_MAX - 20)
        blocks.append(section(f"*By lab*\n{body}"))
    else:
        blocks.append(section("*By lab*\nNo lab released a model this week."))
    if pulse.adoption:
        body = lines_within([adoption_line(a) for a in pulse.adoption], SECTION_TEXT_MAX - 80)
        blocks.append(section(f"*Adoption* (recent releases' downloads against earlier ones of their size)\n{body}"))
    if pulse.radar:
        body = lines_within([radar_line_text(line) for line in pulse.radar], SECTION_TEXT_MAX - 60)
        blocks.append(section(f"*New on the radar* (labs not on the watchlist, crossed the radar's score)\n{body}"))
    status = status_lines(pulse.statuses, pulse.lab_names)
    if status:
        blocks.append({"type": "divider"})
        blocks.append(section("*Cadence status*\n" + lines_within(status, SECTION_TEXT_MAX - 20)))
    if dashboard_url:
        base = dashboard_url.rstrip("/")
        blocks.append(section(f":bar_chart: {link(base + '/', 'Cadence chart and history on the dashboard')}"))
    blocks.append(
        context(
            [
                "tracker weekly pulse",
                "one release per launch (models)" if pulse.kinds == ("model",) else "one release per launch",
                f"quiet = silent for more than {pulse.rules.quiet_factor_k:g}× the median gap; "
                f"bursting = {pulse.rules.burst_min_releases}+ releases in 7 days",
            ]
        )
    )
    top = ", ".join(f"{c.country} {c.releases}" for c in pulse.countries if c.releases)
    text = escape(
        f"Weekly pulse {pulse.week}: {pulse.total} {what} from {labs_n} lab{'s' if labs_n != 1 else ''}"
        + (f" ({top})" if top else "")
    )
    return SlackContent(fit_blocks(blocks), text[:FALLBACK_TEXT_MAX])


def cadence_alert_content(message: Message) -> SlackContent:
    """Render a ``lab_quiet`` / ``lab_burst`` alert (built by ``tracker.outbox.content.build_cadence_message``).

    Header ``NVIDIA · quiet for 62 days``, one section with the facts (one per line), context.
    """
    emoji = ":zzz:" if message.event == "lab_quiet" else ":fire:"
    header = f"{short_lab(message.lab_name)} · {message.title}"
    intro = f"{emoji} {flag(message.country)} *{escape(message.lab_name)}*: {escape(message.title)}"
    body = "\n".join(f"• {escape(f)}" for f in message.facts)
    blocks: list[Block] = [
        {"type": "header", "text": plain(escape(header))},
        section(f"{intro}\n{body}" if body else intro),
        context(["tracker cadence alert"]),
    ]
    text = escape(f"{message.lab_name} is {'quiet' if message.event == 'lab_quiet' else 'bursting'}: {message.title}")
    return SlackContent(fit_blocks(blocks), text[:FALLBACK_TEXT_MAX])
