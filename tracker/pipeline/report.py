"""What one poll unit reports: ``PollReport`` and its alert-worthy ``Detection``s."""

from __future__ import annotations

from dataclasses import dataclass, field

from tracker.domain import EventType, ScopeFailure


@dataclass(frozen=True, slots=True)
class Detection:
    """One alert-worthy change, as printed by ``tracker poll``.

    Attributes:
        event (EventType): release_detected or variant_added.
        lab (str): lab slug. release_id (int). title (str): release title.
        artifact (str): the artifact's name (repo id or paper title). url (str): artifact URL.
    """

    event: EventType
    lab: str
    release_id: int
    title: str
    artifact: str
    url: str


@dataclass(slots=True)
class PollReport:
    """Outcome of one poll unit (one source for one lab).

    Attributes:
        status (str): ``ok`` (every scope listed), ``partial`` (some scopes failed), ``failed``, or
            ``skipped`` (another poll of the unit held its lock; nothing was fetched).
        baseline (bool): this poll recorded baseline history for at least one scope.
        counts: new artifacts, new releases, variants, renamed, withdrawn, restored, revised.
        detections (list[Detection]): alert-worthy changes (never baseline ones).
        failures (list[ScopeFailure]): scopes that failed and why.
        requests / not_modified (int): HTTP requests made and 304s among them.
        error (str, optional): why the whole unit failed, when it did.
        skipped (str, optional): why the unit was not polled (``tracker.ops.locks.poll_lock``).
        unreachable (dict): hosts this unit could not connect to, each with the original error
            (``{"huggingface.co": "network error: Connection refused"}``; see
            ``tracker.http.HttpClient.unreachable``); empty normally.
    """

    source: str
    lab: str
    baseline: bool = False
    new_artifacts: int = 0
    new_releases: int = 0
    variants: int = 0
    renamed: int = 0
    withdrawn: int = 0
    restored: int = 0
    revised: int = 0
    backfilled: int = 0  # papers first seen long after v1 (settings.arxiv.backfill_days): history, not alerts
    detections: list[Detection] = field(default_factory=list)
    failures: list[ScopeFailure] = field(default_factory=list)
    requests: int = 0
    not_modified: int = 0
    error: str | None = None
    complete_scopes: int = 0
    unreachable: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None

    @property
    def status(self) -> str:
        if self.skipped is not None:
            return "skipped"
        kept = self.complete_scopes or any(f.partial for f in self.failures)
        if self.error is not None or (self.failures and not kept):
            return "failed"
        return "partial" if self.failures else "ok"
