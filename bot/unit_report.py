"""The periodic unit report: the figures an official attaches to "báo cáo kết quả ...".

One :class:`UnitReport` holds everything the report says, computed from the same
statistics as ``hocvuso stats`` and ``/v1/stats`` (so the figures agree): the period
and the one just before it (same length), participants, completions and pass rate,
by topic and by unit, the most-missed questions, and the state of the evidence log
the figures rest on. :mod:`bot.report_files` writes it as DOCX, XLSX or PDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from bot import stats
from bot.evidence import EvidenceLog
from hocvuso.db.models import GENESIS_HASH, EvidenceHead

MISSED_LIMIT = 10


@dataclass(frozen=True)
class EvidenceAnchor:
    """Where the evidence log stood when the report was made, so a reader can check it later."""

    events: int
    last_id: int
    last_hash: str
    intact: bool
    reason: str
    # The latest signed checkpoint (size, Merkle root, time, public key), when there is one.
    checkpoint_size: int | None = None
    checkpoint_root: str = ""
    checkpoint_time: datetime | None = None
    public_key: str = ""


@dataclass
class UnitReport:
    """The figures of one unit (or every unit) over one period, with the previous period beside them."""

    unit: str | None
    date_from: date
    date_to: date
    previous_from: date
    previous_to: date
    created_at: datetime
    timezone: str
    pass_ratio: float
    current: dict
    previous: dict
    by_topic: list[dict] = field(default_factory=list)
    by_unit: list[dict] = field(default_factory=list)
    most_missed: list[dict] = field(default_factory=list)
    evidence: EvidenceAnchor | None = None

    @property
    def unit_label(self) -> str:
        return self.unit or "Tất cả đơn vị"

    def change(self, key: str) -> float | None:
        """Current minus previous value of an overview figure (None when either is missing)."""
        now, before = self.current.get(key), self.previous.get(key)
        return None if now is None or before is None else now - before


def previous_period(date_from: date, date_to: date) -> tuple[date, date]:
    """The period of the same length that ends the day before ``date_from``."""
    length = (date_to - date_from).days + 1
    end = date_from - timedelta(days=1)
    return end - timedelta(days=length - 1), end


def evidence_anchor(db) -> EvidenceAnchor:
    """Verify the evidence chain and note its head: the figures rest on this state of the log."""
    log = EvidenceLog(db)
    result = log.verify()
    with db.session() as session:
        head = session.get(EvidenceHead, 1)
        last_id, last_hash = (head.last_id, head.last_hash) if head else (0, GENESIS_HASH)
    anchor = EvidenceAnchor(events=result.checked, last_id=last_id, last_hash=last_hash,
                            intact=result.ok, reason=result.reason)
    checkpoint, key = log.latest_checkpoint(), log.verifier()
    if checkpoint is None:
        return anchor
    return replace(anchor, checkpoint_size=checkpoint.size, checkpoint_root=checkpoint.root_hex,
                   checkpoint_time=checkpoint.time, public_key=str(key) if key else "")


def build_unit_report(
    db,
    date_from: date,
    date_to: date,
    unit: str | None = None,
    *,
    timezone: str,
    pass_ratio: float = stats.PASS_RATIO,
    topic_titles: Mapping[str, str] | None = None,
    question_texts: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> UnitReport:
    """Compute the report of ``unit`` (None: every unit) for ``date_from``..``date_to`` (local days)."""
    if date_from > date_to:
        raise ValueError("Ngày bắt đầu đứng sau ngày kết thúc.")
    previous_from, previous_to = previous_period(date_from, date_to)
    current = stats.StatsFilter(date_from, date_to, unit, timezone=timezone)
    before = stats.StatsFilter(previous_from, previous_to, unit, timezone=timezone)
    titles = topic_titles or {}
    by_topic = [
        {**row, "title": titles.get(row["topic"], row["topic"]) if row["topic"] else "Tổng hợp nhiều chủ đề"}
        for row in stats.by_topic(db, current, pass_ratio)
    ]
    missed = [
        {**row, "title": titles.get(row["topic"], row["topic"])}
        for row in stats.most_missed(db, current, MISSED_LIMIT, question_texts)
    ]
    return UnitReport(
        unit=unit,
        date_from=date_from,
        date_to=date_to,
        previous_from=previous_from,
        previous_to=previous_to,
        created_at=now or datetime.now(UTC),
        timezone=timezone,
        pass_ratio=pass_ratio,
        current=stats.overview(db, current, pass_ratio),
        previous=stats.overview(db, before, pass_ratio),
        by_topic=by_topic,
        by_unit=stats.by_unit(db, current, pass_ratio),
        most_missed=missed,
        evidence=evidence_anchor(db),
    )
