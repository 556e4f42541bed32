"""Pure Slack Block Kit builders for the radar: the one-time alert and the pulse's "New on the radar".

Same rules as the other builders: every external string (org and repo names, reason texts) is
escaped with ``escape`` and links are made with ``link`` (which refuses anything but http(s)),
texts are cut within Block Kit limits.
"""

from __future__ import annotations

from tracker.notify.content import Message, RadarLine
from tracker.notify.slack.blocks import flag
from tracker.notify.slack.mrkdwn import (
    FALLBACK_TEXT_MAX,
    Block,
    SlackContent,
    add_context,
    escape,
    fit_blocks,
    link,
    plain,
    section,
)


def radar_alert_content(message: Message) -> SlackContent:
    """Render a radar alert (built by ``tracker.outbox.radar_content.build_radar_message``).

    Header ``Radar · <org>``; a section naming the org (linked to its Hub page), its score and
    top repo, then the reasons and numbers one per line; the links; a context line saying it is
    not watched yet.
    """
    org_link = next((lk.url for lk in message.links if lk.label.endswith(" on the Hub")), None)
    org = link(org_link, message.lab_name)
    where = flag(message.country) or "country unknown"
    intro = f":satellite_antenna: *{org}* ({escape(where)}): {escape(message.title)}"
    if message.url and message.artifact != message.lab_name:
        intro += f"\ntop repo: {link(message.url, message.artifact)}"
    body = "\n".join(f"• {escape(f)}" for f in message.facts if f != "country unknown")
    blocks: list[Block] = [
        {"type": "header", "text": plain(escape(f"Radar · {message.lab_name}"))},
        section(f"{intro}\n{body}" if body else intro),
    ]
    links = [link(lk.url, lk.label) for lk in message.links]
    if links:
        blocks.append(section("  ·  ".join(links)))
    add_context(blocks, ["tracker radar", escape(message.note)])
    return SlackContent(fit_blocks(blocks), escape(message.headline)[:FALLBACK_TEXT_MAX])


def radar_line_text(line: RadarLine) -> str:
    """``• *<org>* 🇨🇳 72/100: reason; reason (top repo)`` as escaped mrkdwn, links validated."""
    where = flag(line.country or "")
    reasons = "; ".join(r.text for r in line.reasons[:3]) or ", ".join(line.facts()[:2])
    repo = f" · {link(line.best_repo_url, line.best_repo_id)}" if line.best_repo_id else ""
    head = f"• *{link(line.org_url, line.org)}* {where}".rstrip()
    return f"{head} {line.score:.0f}/100: {escape(reasons)}{repo}"
