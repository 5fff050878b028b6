"""What the last build read: totals of the `load_audit` model, for the run status and metrics."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from notifier.artifacts import locate_mart
from notifier.profile import Target
from notifier.reader import run_query

AUDIT_MODEL = "load_audit"


@dataclass(frozen=True)
class LoadTotals:
    files: int
    lines_read: int
    facilities: int
    records_rejected: int
    accreditations_rejected: int

    @property
    def rejected_share_percent(self) -> float:
        return 100.0 * self.records_rejected / self.lines_read if self.lines_read else 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"rejected_share_percent": round(self.rejected_share_percent, 4)}


def read_load_totals(target: Target, target_path: Path) -> LoadTotals:
    relation = locate_mart(target_path, AUDIT_MODEL).relation
    sql = (
        "select count(*), coalesce(sum(lines_read), 0), coalesce(sum(facilities_kept), 0), "
        "coalesce(sum(records_rejected), 0), coalesce(sum(accreditations_rejected), 0) "
        f"from {relation.sql}"
    )
    rows = list(run_query(target, sql, [], relation.sql).rows)
    files, lines, facilities, rejected, accreditations = (int(value) for value in rows[0])
    return LoadTotals(files, lines, facilities, rejected, accreditations)
