"""Channel-neutral alert content: one ``Message`` per alert, before any channel formats it.

A ``Message`` describes a release alert (lab, release title, sizes and MoE total/active
parameters, licence, modality, base model or "new base model", gated or not, variants, links,
first seen time and the lag between the repo's ``createdAt`` and going public), a variant alert
(the batch of repos first seen in one poll) or a cadence alert about a lab (``lab_quiet`` /
``lab_burst``: ``title`` says what happened and ``facts`` give the numbers). Strings are raw
external text: every transport escapes for its own format (``tracker.notify.slack.blocks``,
the email templates). The content is built from the store by ``tracker.outbox.content``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tracker.domain import EventType

#: Event types of the alerts about a lab's rhythm rather than a release (no thread, no variants).
CADENCE_EVENTS = (EventType.LAB_QUIET, EventType.LAB_BURST)

#: Event types of the alerts about an org outside the watchlist (the radar): no lab, no release.
RADAR_EVENTS = (EventType.RADAR_CROSSED,)

#: Event types about a release already announced: they edit or reply to its message, never
#: start a new one (``release_id`` is the release whose message they concern).
FOLLOW_UP_EVENTS = (
    EventType.RELEASE_WITHDRAWN,
    EventType.RELEASE_RESTORED,
    EventType.PAPER_LINKED,
    EventType.LAUNCH_LINKED,
)

#: The word a follow-up or notice leads its one-line headline with (logs, console, email subjects).
FOLLOW_UP_HEADLINES = {
    EventType.RELEASE_WITHDRAWN: "Withdrawn",
    EventType.RELEASE_RESTORED: "Restored",
    EventType.PAPER_LINKED: "Report",
    EventType.LAUNCH_LINKED: "Weights",
    EventType.ORG_MOVE: "Notice",
}


@dataclass(frozen=True, slots=True)
class Link:
    """A labelled link (``label`` is shown, ``url`` is the target; both unescaped)."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Variant:
    """One repo of a release as an alert shows it (facts parsed from the name; ``tracker.grouping.families``).

    Attributes:
        name (str): repo id (``Qwen/Qwen3-8B-AWQ``). url (str): its page.
        kinds (tuple[str, ...]): variant kinds (base, instruct, thinking, quantized...), may be empty.
        size_label (str, optional): ``8B``, ``30B-A3B``; None when the name has no size.
        params_total_b / params_active_b (float, optional): billions; active only for MoE.
        quantization (str, optional): ``FP8``, ``AWQ``, ``GGUF``...
    """

    name: str
    url: str
    kinds: tuple[str, ...] = ()
    size_label: str | None = None
    params_total_b: float | None = None
    params_active_b: float | None = None
    quantization: str | None = None


@dataclass(frozen=True, slots=True)
class PaperFacts:
    """What a paper alert shows (from the arXiv Atom entry stored in ``Artifact.attrs``).

    Attributes:
        arxiv_id (str): unversioned id (``2505.09388``). version (int, optional): latest seen.
        authors (tuple[str, ...]): in arXiv order. primary_category (str, optional): ``cs.CL``.
        summary (str): the abstract (may be long; channels truncate). pdf_url (str, optional).
        published_at (datetime, optional): v1 submission time, UTC.
    """

    arxiv_id: str
    authors: tuple[str, ...] = ()
    primary_category: str | None = None
    summary: str = ""
    pdf_url: str | None = None
    published_at: datetime | None = None
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One alert, before any channel formats it. Strings are raw (unescaped) external text.

    Attributes:
        event (str): the event type (``release_detected`` | ``variant_added``, or ``lab_quiet`` |
            ``lab_burst`` for a cadence alert, whose ``title`` and ``facts`` say what happened, or
            ``radar_crossed`` for a radar alert: ``lab`` is empty, ``lab_name`` the Hub org,
            ``facts`` the score's reasons and numbers).
        lab / lab_name / country: the lab's slug, display name and ISO 3166-1 alpha-2 code.
        kind (str): the release kind: model | paper | code.
        title (str): the release title (``Qwen3``).
        artifact (str): the event's artifact name (repo id or paper title). url (str): its URL.
        facts (tuple[str, ...]): short facts about the event's artifact (size, quantization...).
        params_total_b / params_active_b (float, optional): the event's artifact, billions.
        idempotency_key (str): stable per event (``event-<id>``).
        variant_kinds (tuple[str, ...]): the event artifact's variant kinds (for routing filters).
        quantization (str, optional): the event artifact's quantization (``FP8``...).
        license (str, optional): the release's licence (Hub ``license:`` tag, lead repo first);
            None when no repo declares one.
        release_id (int, optional) / release_url (str): the release and its main link.
        sizes (tuple[Variant, ...]): one entry per distinct size, smallest first (dense and MoE).
        pipeline_tag (str, optional): the Hub pipeline tag (modality), e.g. ``text-generation``.
        base_model (str, optional): the base repo the release derives from, when it is outside
            the release (Hub ``base_model:`` tags); None with ``new_base`` True means a new base.
        new_base (bool, optional): True when no repo names a base outside the release; None
            when unknown (papers, payload-only messages).
        gated (bool, optional): True when any repo is gated on the Hub; None when unknown.
        variant_count (int): repos in the release (not withdrawn) when the message was built;
            0 when unknown (payload-only messages).
        variant_summary (tuple[str, ...]): counts by kind, e.g. ``("6 base", "8 FP8")``.
        links (tuple[Link, ...]): Hub repo / Hub search / arXiv / GitHub.
        first_seen_at (datetime, optional): when tracker first saw the release (UTC).
        created_at (datetime, optional): the lead repo's ``createdAt`` (Hub), UTC.
        artifact_first_seen_at / artifact_created_at (datetime, optional): the same for the
            event's artifact (a variant seen later).
        batch (tuple[Variant, ...]): for a variant: every repo of the release first seen in the
            same poll as it (itself included), in id order; one reply/follow-up covers them all.
        batch_key (str): identifies that batch (``<release id>@<first seen ISO time>``); the
            first delivery of a batch in a channel posts, later ones are folded into it.
        in_parent (bool): True when the variant was first seen in the same poll as the release:
            the release message built after that poll already shows it.
        batch_sent (bool): True when another delivery of the same batch to the same channel is
            recorded sent (the outbox remembers it across processes): fold, post nothing.
        paper (PaperFacts, optional): set for paper releases (compact layout).
        silent_for_days (float, optional): set on a release of a lab that had gone quiet: days
            since its previous release, so the alert can say the silence is over; None otherwise.
        withdrawn_after_s (int, optional): set when every repo of the release was withdrawn:
            seconds it was public before that (the message says "withdrawn after 41 min").
        reports (tuple[Link, ...]): technical reports that joined the launch after it was
            announced (label: the paper's title), shown on the release message.
        linked (Link, optional): what a follow-up points to: the report that joined
            (``paper_linked``) or the launch whose weights arrived (``launch_linked``).
        note (str): the follow-up's one line (``Technical report: <title> (arXiv <id>)``), or
            what an informational notice says; raw text.
    """

    event: str
    lab: str
    lab_name: str
    country: str
    kind: str
    title: str
    artifact: str
    url: str
    facts: tuple[str, ...] = ()
    params_total_b: float | None = None
    idempotency_key: str = ""
    params_active_b: float | None = None
    variant_kinds: tuple[str, ...] = ()
    quantization: str | None = None
    license: str | None = None
    release_id: int | None = None
    release_url: str = ""
    sizes: tuple[Variant, ...] = ()
    pipeline_tag: str | None = None
    base_model: str | None = None
    new_base: bool | None = None
    gated: bool | None = None
    variant_count: int = 0
    variant_summary: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    first_seen_at: datetime | None = None
    created_at: datetime | None = None
    artifact_first_seen_at: datetime | None = None
    artifact_created_at: datetime | None = None
    batch: tuple[Variant, ...] = ()
    batch_key: str = ""
    in_parent: bool = False
    batch_sent: bool = False
    paper: PaperFacts | None = None
    silent_for_days: float | None = None
    withdrawn_after_s: int | None = None
    reports: tuple[Link, ...] = ()
    linked: Link | None = None
    note: str = ""

    @property
    def headline(self) -> str:
        """One line: ``New release · Qwen (Alibaba Cloud) · Qwen3: Qwen/Qwen3-8B``."""
        if self.event in FOLLOW_UP_HEADLINES:  # about a release announced earlier, or an informational notice
            return f"{FOLLOW_UP_HEADLINES[self.event]} · {self.lab_name} · {self.title}" + (
                f": {self.note}" if self.note else ""
            )
        if self.event in RADAR_EVENTS:  # an org nobody watches yet: ``Radar · XiaomiMiMo · score 72/100``
            return f"Radar · {self.lab_name} · {self.title}"
        if self.event in CADENCE_EVENTS:  # about a lab, not a release: ``Cadence · NVIDIA · quiet for 62 days``
            return f"Cadence · {self.lab_name} · {self.title}"
        if self.silent_for_days is not None:  # a quiet lab ships again: the silence is part of the news
            silence = f"first release in {self.silent_for_days:.0f} days"
            return f"New release · {self.lab_name} · {self.title}: {self.artifact} · {silence}"
        what = "New release" if self.event == EventType.RELEASE_DETECTED else "New variant"
        return f"{what} · {self.lab_name} · {self.title}: {self.artifact}"

    @property
    def is_release(self) -> bool:
        """True for the first detection of a release (the parent message)."""
        return self.event == EventType.RELEASE_DETECTED
