"""The period's releases and papers as the digest lists them.

Content item 1 and 2 of ``tracker.briefings.digest.build``: a release is included when one of its live
artifacts passes the subscription's filter (``release_passes``: ``tracker.outbox.subscriptions.matches``,
THE filter every channel uses; quantized-only re-uploads therefore stay out unless asked for),
and is described by its title, sizes, MoE total/active, licence (Hub ``license:`` tag), variant
count and breakdown, and links (Hub repo or search, arXiv).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.briefings.digest.periods import Period, iso_z
from tracker.notify.content import DigestLink, DigestPaper, DigestRelease
from tracker.outbox.subscriptions import AlertFacts, matches
from tracker.store.models import Artifact, Lab, Release
from tracker.store.queries import papers_for_release

ARXIV_ABS_URL = "https://arxiv.org/abs/{}"


def _fmt_b(value: float) -> str:
    return f"{value:g}B"


def release_passes(filters: Mapping[str, Any], release: Release) -> bool:
    """Return True when one of the release's live artifacts passes ``filters`` (THE filter).

    Facts per artifact: the lab's slug and country, the release kind, the artifact's variant
    kinds, total parameters (billions), the release significance and the artifact's licence
    (Hub ``license:`` tag in ``Artifact.attrs``).
    """
    live = [a for a in release.artifacts if a.withdrawn_at is None] or list(release.artifacts)
    base = {
        "lab": release.lab.slug,
        "country": release.lab.country,
        "kind": release.kind,
        "significance": release.significance,
    }
    if not live:
        return matches(filters, AlertFacts(**base))
    return any(
        matches(
            filters,
            AlertFacts(
                **base,
                variant_kinds=tuple(a.kinds or ()),
                params_total_b=a.params_total_b,
                licence=(a.attrs or {}).get("license"),
            ),
        )
        for a in live
    )


def _variant_summary(models: Sequence[Artifact]) -> list[str]:
    kinds: Counter[str] = Counter()
    quants: Counter[str] = Counter()
    for a in models:
        kinds.update(k for k in a.kinds or () if k != "quantized")
        if a.quantization:
            quants[a.quantization] += 1
    return [f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))] + [
        f"{n} {q}" for q, n in sorted(quants.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _hub_search(models: Sequence[Artifact]) -> DigestLink | None:
    """A Hub search link covering a multi-repo launch (``?search=<common prefix>``)."""
    hub = [a for a in models if a.source == "hf" and a.url.endswith("/" + a.name)]
    if len(hub) < 2:
        return None
    names = sorted(a.name for a in hub)
    lo, hi, i = names[0], names[-1], 0
    while i < min(len(lo), len(hi)) and lo[i] == hi[i]:
        i += 1
    prefix = lo[:i].rstrip("-_. ")
    if "/" not in prefix:
        return None
    base = hub[0].url[: -len(hub[0].name) - 1]
    return DigestLink(f"all {len(hub)} repos", f"{base}/models?search={quote(prefix, safe='')}")


def reports_of(session: Session, release: Release) -> list[DigestLink]:
    """The technical reports that joined ``release``: paper releases merged into it, oldest first."""
    merged = session.scalars(
        select(Release).where(Release.merged_into_id == release.id, Release.kind == "paper").order_by(Release.id)
    )
    return [DigestLink(p.title, p.url) for p in merged]


def updated_in_period(session: Session, period: Period, listed: set[int]) -> dict[int, str]:
    """Launches from before the period that gained something in it: release id -> what.

    A technical report joining (a paper release merged into it, published in the period) or
    repos first seen in the period (variants found after the release's own email or alert)
    bring an earlier launch back into the digest, so email readers learn of them without one
    more email. Releases already ``listed``, baseline history and withdrawn releases are left out.
    """
    found: dict[int, list[str]] = {}
    papers = session.execute(
        select(Release.merged_into_id).where(
            Release.merged_into_id.is_not(None),
            Release.released_at >= period.start,
            Release.released_at < period.end,
        )
    )
    for (launch_id,) in papers:
        found.setdefault(launch_id, []).append("technical report")
    late = session.execute(
        select(Artifact.release_id)
        .join(Release, Release.id == Artifact.release_id)
        .where(
            Artifact.first_seen_at >= period.start,
            Artifact.first_seen_at < period.end,
            Release.released_at < period.start,
            Artifact.kind != "paper",
        )
    )
    for (release_id,) in late:
        found.setdefault(release_id, []).append("repo")
    out: dict[int, str] = {}
    for release_id, what in found.items():
        release = session.get(Release, release_id)
        if release_id in listed or release is None or release.baseline or release.withdrawn_at is not None:
            continue
        bits = ["technical report"] if "technical report" in what else []
        if n := what.count("repo"):
            bits.append(f"{n} new repo{'s' if n != 1 else ''}")
        out[release_id] = ", ".join(bits)
    return out


def digest_release(
    session: Session, release: Release, update: str | None = None, adoption: str | None = None
) -> DigestRelease:
    """Describe one release for the digest: sizes, MoE, licence, variants, links (Hub, arXiv),
    the technical reports that joined it, ``update`` (what an earlier launch gained) and
    ``adoption`` (its relative-adoption sentence, None without a ratio)."""
    live = [a for a in release.artifacts if a.withdrawn_at is None]
    models = [a for a in live if a.kind != "paper"]
    sized = sorted(
        {
            (a.params_total_b, a.params_active_b or 0.0, a.size_label)
            for a in models
            if a.params_total_b is not None and a.size_label
        }
    )
    sizes = list(dict.fromkeys(label for _, _, label in sized))
    moe_sizes = [(t, act) for t, act, _ in sized if act]
    moe = f"{_fmt_b(moe_sizes[-1][0])} total / {_fmt_b(moe_sizes[-1][1])} active" if moe_sizes else None
    lead = next((a for a in live if a.url == release.url), live[0] if live else None)
    licence = ((lead.attrs or {}).get("license") if lead else None) or next(
        ((a.attrs or {}).get("license") for a in models if (a.attrs or {}).get("license")), None
    )
    links: list[DigestLink] = []
    if lead is not None and lead.kind != "paper":
        links.append(DigestLink(lead.name, lead.url))
    if (search := _hub_search(models)) is not None:
        links.append(search)
    papers = [p for p, _ in papers_for_release(session=session, release_id=release.id)]
    links.extend(DigestLink(f"arXiv {p.external_id}", p.url) for p in papers[:2])
    if not papers:
        tagged = list(dict.fromkeys(i for a in models for i in (a.attrs or {}).get("arxiv_ids") or ()))
        links.extend(DigestLink(f"arXiv {i}", ARXIV_ABS_URL.format(i)) for i in tagged[:2])
    return DigestRelease(
        id=release.id,
        title=release.title,
        kind=release.kind,
        url=release.url,
        released_at=iso_z(release.released_at),
        sizes=sizes,
        moe=moe,
        licence=licence,
        variant_count=len(live),
        variant_summary=_variant_summary(models),
        links=links,
        reports=reports_of(session, release),
        update=update,
        adoption=adoption,
    )


def digest_paper(release: Release) -> DigestPaper:
    """Describe one paper release for the digest: title, arXiv link and id, the first three authors."""
    paper = next((a for a in release.artifacts if a.kind == "paper"), None)
    authors = list((paper.attrs or {}).get("authors") or []) if paper else []
    return DigestPaper(
        title=release.title,
        url=paper.url if paper else release.url,
        arxiv_id=paper.external_id if paper else "",
        lab=release.lab.slug,
        lab_name=release.lab.name,
        authors=authors[:3],
        more_authors=max(0, len(authors) - 3),
    )


def lab_followed(filters: Mapping[str, Any], lab: Lab) -> bool:
    """True when a subscription's ``labs`` and ``countries`` filters let ``lab`` into its cadence section."""
    labs = filters.get("labs") or ()
    if labs and "*" not in labs and lab.slug not in labs:
        return False
    countries = {c.upper() for c in filters.get("countries") or ()}
    return not countries or lab.country.upper() in countries
