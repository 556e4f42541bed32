"""Pure Slack Block Kit builders for alerts: ``Message`` -> blocks + fallback text (no I/O).

A release (or paper) message is the parent of the release's thread; a poll's later variants
are one reply in it (or, without threads, one follow-up message); ``test_content`` is the
sample ``tracker slack test`` posts. Every external string is escaped and every text kept
within Block Kit limits with the primitives of ``tracker.notify.slack.mrkdwn``.

``render_text`` turns blocks back into what a reader sees (links as ``label (url)``, entities
decoded); tests and docs/slack.md use it to look at the messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from tracker.notify.content import Message, Variant
from tracker.notify.slack.mrkdwn import (
    FALLBACK_TEXT_MAX,
    SECTION_TEXT_MAX,
    Block,
    SlackContent,
    add_context,
    context,
    escape,
    fields_section,
    fit_blocks,
    link,
    plain,
    section,
    truncate,
)

# --------------------------------------------------------------------------- facts


def flag(country: str) -> str:
    """Emoji flag for an ISO 3166-1 alpha-2 code (``CN`` -> 🇨🇳); empty when not two letters."""
    if len(country) != 2 or not country.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in country.upper())


def short_lab(name: str) -> str:
    """``Qwen (Alibaba Cloud)`` -> ``Qwen``: the lab's name without the parenthesis."""
    return name.split(" (")[0].strip() or name


def fmt_b(value: float | None) -> str:
    """Billions of parameters as text: ``235B``, ``0.6B``."""
    return "?" if value is None else f"{value:g}B"


def fmt_time(value: datetime | None) -> str:
    """``2025-04-29 00:00 UTC``."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "?"


def fmt_duration(seconds: float) -> str:
    """A lag in words: ``12 days``, ``5 hours``, ``40 minutes``."""
    if seconds >= 86400 * 1.5:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 86400:
        return "1 day"
    if seconds >= 5400:
        return f"{seconds / 3600:.0f} hours"
    return f"{max(seconds, 0) / 60:.0f} minutes"


def fmt_public_for(seconds: float) -> str:
    """How long a withdrawn release was public, as a reader says it: ``41 min``, ``5 h``, ``3 days``."""
    if seconds < 5400:
        return f"{max(seconds, 0) / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def withdrawn_text(message: Message) -> str:
    """``withdrawn after 41 min`` for a withdrawn release, else ''."""
    if message.withdrawn_after_s is None:
        return ""
    return f"withdrawn after {fmt_public_for(message.withdrawn_after_s)}"


def lag_text(created_at: datetime | None, seen_at: datetime | None, name: str | None = None) -> str:
    """``Qwen/X was created 2025-04-16, 12 days before going public`` (escaped); '' when unknown."""
    if created_at is None or seen_at is None:
        return ""
    lag = (seen_at - created_at).total_seconds()
    who = f"{escape(name)} was created" if name else "created"
    if lag < 3600:
        return f"{who} {created_at:%Y-%m-%d}, public within the hour"
    return f"{who} {created_at:%Y-%m-%d}, {fmt_duration(lag)} before going public"


def size_fields(sizes: Sequence[Variant]) -> list[str]:
    """``*Sizes*`` (dense) and ``*MoE*`` (total / active) fields, escaped."""
    dense = [v for v in sizes if not v.params_active_b]
    moe = [v for v in sizes if v.params_active_b]
    out = []
    if dense:
        out.append("*Sizes*\n" + " · ".join(escape(v.size_label or fmt_b(v.params_total_b)) for v in dense))
    if moe:
        out.append(
            "*MoE (total / active)*\n"
            + " · ".join(f"{fmt_b(v.params_total_b)} / {fmt_b(v.params_active_b)}" for v in moe)
        )
    return out


def variant_line(v: Variant) -> str:
    """``• <url|Qwen/Qwen3-8B-AWQ> · 8B · AWQ · base`` (escaped)."""
    bits = [v.size_label or "", v.quantization or "", *[k for k in v.kinds if k != "quantized"]]
    tail = " · ".join(escape(b) for b in bits if b)
    return f"• {link(v.url, v.name)}" + (f" · {tail}" if tail else "")


def _lines_within(lines: list[str], limit: int, *, more: str = "… and {n} more") -> str:
    """Join lines while they fit ``limit`` chars; then one ``… and N more`` line."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        tail = len(more) + 8
        if used + len(line) + 1 + (tail if i < len(lines) - 1 else 0) > limit:
            out.append(more.format(n=len(lines) - i))
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


# --------------------------------------------------------------------------- messages


def release_fields(message: Message, variant_count: int) -> list[str]:
    """The facts grid of a release message (escaped mrkdwn fields)."""
    fields = size_fields(message.sizes)
    if message.license:
        fields.append(f"*Licence*\n{escape(message.license)}")
    if message.pipeline_tag:
        fields.append(f"*Modality*\n{escape(message.pipeline_tag)}")
    if message.base_model:
        fields.append(f"*Base model*\nfine-tune of {escape(message.base_model)}")
    elif message.new_base:
        fields.append("*Base model*\nnew base model")
    if message.gated is not None:
        fields.append("*Access*\n" + ("gated: approval needed" if message.gated else "open, not gated"))
    if variant_count:
        summary = f": {escape(', '.join(message.variant_summary))}" if message.variant_summary else ""
        fields.append(f"*Variants*\n{variant_count} repo{'s' if variant_count != 1 else ''}{summary}")
    return fields


def release_content(message: Message, *, variant_count: int | None = None) -> SlackContent:
    """The parent message of a release: header, intro, facts grid, links, context.

    Args:
        message (Message): any alert of the release (its release-level facts are used).
        variant_count (int, optional): the count to show; defaults to ``message.variant_count``.
    """
    if message.paper is not None:
        return paper_content(message)
    count = variant_count if variant_count is not None else message.variant_count
    header = f"{short_lab(message.lab_name)} · {message.title}"
    intro = f"{flag(message.country)} New open-weight release from *{escape(message.lab_name)}*".strip()
    if count > 1:
        intro += f" · {count} repos"
    if withdrawn := withdrawn_text(message):  # edited in place: the announcement no longer holds
        header += " (withdrawn)"
        intro = f":no_entry: *{withdrawn.capitalize()}*: every repo was deleted or made private.\n~{intro}~"
    blocks: list[Block] = [
        {"type": "header", "text": plain(escape(header))},
        section(intro),
    ]
    fields = release_fields(message, count)
    if fields:
        blocks.append(fields_section(fields))
    if message.links:
        link_text = "  ·  ".join(link(lk.url, lk.label) for lk in message.links)
    else:  # payload-only message: the event's repo
        link_text = link(message.release_url or message.url, message.artifact)
    blocks.append(section(f":link: {link_text}"))
    if message.reports:
        reports = "\n".join(f":page_facing_up: Technical report: {link(r.url, r.label)}" for r in message.reports[:3])
        blocks.append(section(reports))
    silent = getattr(message, "silent_for_days", None)
    add_context(
        blocks,
        [
            f"First seen {fmt_time(message.first_seen_at)}" if message.first_seen_at else "",
            f"first release from this lab in {silent:.0f} days" if silent else "",
            lag_text(message.created_at, message.first_seen_at, _lead_name(message)),
            "tracker",
        ],
    )
    return SlackContent(fit_blocks(blocks), release_fallback(message, count))


def _lead_name(message: Message) -> str | None:
    for lk in message.links:
        if lk.url == message.release_url:
            return lk.label
    return None


def release_fallback(message: Message, count: int) -> str:
    """Notification text: ``Qwen (Alibaba Cloud) released Qwen3: 22 repos, 0.6B–235B, apache-2.0``."""
    bits = []
    if count > 1:
        bits.append(f"{count} repos")
    if message.sizes:
        lo, hi = message.sizes[0], message.sizes[-1]
        bits.append(fmt_b(lo.params_total_b) if lo is hi else f"{fmt_b(lo.params_total_b)}–{fmt_b(hi.params_total_b)}")
    if message.license:
        bits.append(message.license)
    tail = f": {', '.join(bits)}" if bits else ""
    if withdrawn := withdrawn_text(message):
        tail += f" ({withdrawn})"
    return truncate(escape(f"{message.lab_name} released {message.title}{tail}"), FALLBACK_TEXT_MAX)


def variant_content(message: Message, *, follow_up: bool = False) -> SlackContent:
    """A thread reply (or, with ``follow_up``, a stand-alone webhook message) for later variants.

    Lists every variant of the batch (``message.batch``; the event's artifact alone when empty).
    A follow-up names the release because it has no parent thread around it.
    """
    batch = list(message.batch) or [
        Variant(
            name=message.artifact,
            url=message.url,
            kinds=message.variant_kinds,
            params_total_b=message.params_total_b,
            params_active_b=message.params_active_b,
            quantization=message.quantization,
        )
    ]
    n = len(batch)
    what = f"+{n} new variant{'s' if n != 1 else ''}"
    if follow_up:
        lab = escape(short_lab(message.lab_name))
        title = f"{flag(message.country)} *{lab} · {link(message.release_url, message.title)}*: {what}".strip()
    else:
        title = f"*{what}* of {escape(message.title)}"
    if message.variant_count:
        title += f" (now {message.variant_count} repos)"
    body = _lines_within([variant_line(v) for v in batch], SECTION_TEXT_MAX - len(title) - 1)
    blocks: list[Block] = [section(f"{title}\n{body}")]
    add_context(
        blocks,
        [
            f"First seen {fmt_time(seen)}" if (seen := message.artifact_first_seen_at or message.first_seen_at) else "",
            lag_text(message.artifact_created_at, message.artifact_first_seen_at, message.artifact) if n == 1 else "",
        ],
    )
    names = ", ".join(v.name for v in batch[:5]) + (f" and {n - 5} more" if n > 5 else "")
    text = truncate(escape(f"{message.lab_name} · {message.title}: {what}: {names}"), FALLBACK_TEXT_MAX)
    return SlackContent(fit_blocks(blocks), text)


def paper_content(message: Message) -> SlackContent:
    """Compact paper layout: linked title, authors · category · id, a short abstract, context."""
    paper = message.paper
    assert paper is not None
    authors = list(paper.authors)
    who = ", ".join(authors[:4]) + (" et al." if len(authors) > 4 else "")
    meta = [
        b
        for b in (
            who,
            paper.primary_category,
            f"arXiv {paper.arxiv_id}" + (f"v{paper.version}" if paper.version else ""),
        )
        if b
    ]
    abstract = " ".join(paper.summary.split())
    head = f":page_facing_up: *{link(message.release_url or message.url, message.title)}*\n{escape(' · '.join(meta))}"
    blocks: list[Block] = [section(head)]
    if abstract:
        blocks.append(section(truncate(escape(abstract), 600)))
    ctx = [
        f"{flag(message.country)} {escape(message.lab_name)}".strip(),
        f"published {paper.published_at:%Y-%m-%d}" if paper.published_at else "",
        f"first seen {fmt_time(message.first_seen_at)}",
        link(paper.pdf_url, "PDF") if paper.pdf_url else "",
    ]
    add_context(blocks, ctx)
    text = truncate(escape(f"{message.lab_name} paper: {message.title}"), FALLBACK_TEXT_MAX)
    return SlackContent(fit_blocks(blocks), text)


def alert_content(message: Message) -> SlackContent:
    """The top-level message for an alert: a release (or paper) message."""
    return paper_content(message) if message.paper is not None else release_content(message)


def test_content(*, channel: str, now: datetime) -> SlackContent:
    """The sample message ``tracker slack test`` posts (escaped like every alert)."""
    blocks = [
        {"type": "header", "text": plain("tracker · Slack test")},
        section(
            f":white_check_mark: tracker can post to *{escape(channel)}*. New open-weight releases "
            "will appear here as one message per release, with later variants in its thread."
        ),
        context([f"sent {fmt_time(now)}"]),
    ]
    return SlackContent(blocks, escape(f"tracker Slack test: tracker can post to {channel}"))


# --------------------------------------------------------------------------- rendering for people


_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")
_SPECIAL = re.compile(r"<([!@#][^<>]*)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def _unmrkdwn(text: str) -> str:
    text = _SPECIAL.sub(lambda m: f"[PING {m.group(1)}]", text)  # never produced; visible if it were
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BOLD.sub(r"\1", text)
    text = text.replace(":link:", "🔗").replace(":page_facing_up:", "📄").replace(":white_check_mark:", "✅")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_text(blocks: Sequence[Block]) -> str:
    """Render blocks as a reader sees them (for tests and docs): one line group per block.

    Headers are underlined, fields are ``Name: value`` lines, links ``label (url)``, entities
    decoded. A real mention or broadcast (``<!channel>``) would show as ``[PING !channel]``.
    """
    out: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = _unmrkdwn(block["text"]["text"])
            out += [title, "═" * min(len(title), 60)]
        elif kind == "section":
            if "text" in block:
                out.append(_unmrkdwn(block["text"]["text"]))
            for field in block.get("fields", []):
                name, _, value = _unmrkdwn(field["text"]).partition("\n")
                out.append(f"{name + ':':<22}{value}")
        elif kind == "context":
            out.append("  ".join(_unmrkdwn(e["text"]) for e in block["elements"]))
        elif kind == "divider":
            out.append("─" * 40)
    return "\n".join(out)
