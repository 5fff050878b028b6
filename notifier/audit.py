"""What the last build read: totals of the `load_audit` model, for the run status and metrics."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from notifier.artifacts import locate_mart
from notifier.errors import StaleArtifactsError
from notifier.profile import Target
from notifier.reader import run_query

log = logging.getLogger(__name__)

AUDIT_MODEL = "load_audit"
REJECTED_ENTRIES_MODEL = "rejected_accreditations"
# Facilities named in a footer; the rest are counted.
_FACILITIES_NAMED = 10


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


def _plural(number: int, noun: str, plural: str) -> str:
    return f"{number} {noun if number == 1 else plural}"


# The reject reasons of a line that was not read (a superseded duplicate was: a later record
# of the facility replaced it), as load_audit's rejected_<reason> columns name them.
UNREADABLE_REASONS = (
    "line_too_long",
    "invalid_encoding",
    "invalid_json",
    "not_an_object",
    "duplicate_key",
    "missing_facility_id",
)


@dataclass(frozen=True)
class Unevaluated:
    """What the last build could not read, so no alert can cover it: said in every digest, so
    that "no alert" never hides "could not read".

    Superseded duplicates are not counted: a later record of the same facility was read.
    """

    line_too_long: int = 0
    invalid_encoding: int = 0
    invalid_json: int = 0
    not_an_object: int = 0
    duplicate_key: int = 0
    missing_facility_id: int = 0
    entries_rejected: int = 0
    facility_count: int = 0
    facilities: tuple[str, ...] = ()
    # False when the build's audit tables could not be found or read.
    known: bool = True

    @property
    def lines(self) -> int:
        return sum(count for count, _ in self._lines_by_reason())

    def _lines_by_reason(self) -> tuple[tuple[int, str], ...]:
        return (
            (self.line_too_long, "too long"),
            (self.invalid_encoding, "not UTF-8"),
            (self.invalid_json, "invalid JSON"),
            (self.not_an_object, "not an object"),
            (self.duplicate_key, "with a duplicate key"),
            (self.missing_facility_id, "without facility_id"),
        )

    def footer(self) -> str:
        if not self.known:
            return "Could not check the build's rejected input (load_audit is not readable)."
        if not self.lines and not self.entries_rejected:
            return "Every input line and accreditation entry was read."
        parts = []
        if self.lines:
            kinds = [f"{count} {kind}" for count, kind in self._lines_by_reason() if count]
            parts.append(
                f"{_plural(self.lines, 'unreadable line', 'unreadable lines')} ({', '.join(kinds)})"
                " in rejected_records"
            )
        if self.entries_rejected:
            named = ", ".join(self.facilities)
            more = self.facility_count - len(self.facilities)
            named += f" and {more} more" if more > 0 else ""
            entries = _plural(
                self.entries_rejected,
                "rejected accreditation entry",
                "rejected accreditation entries",
            )
            at = _plural(self.facility_count, "facility", "facilities")
            parts.append(f"{entries} at {at} ({named}) in rejected_accreditations")
        return "Not evaluated, so no alert covers them: " + "; ".join(parts) + "."

    def as_json(self) -> dict[str, Any]:
        return {
            "known": self.known,
            "lines_rejected": self.lines,
            **{reason: getattr(self, reason) for reason in UNREADABLE_REASONS},
            "accreditation_entries_rejected": self.entries_rejected,
            "facilities_with_rejected_entries": self.facility_count,
            "facilities": list(self.facilities),
        }


def read_unevaluated(target: Target, target_path: Path) -> Unevaluated:
    try:
        audit = locate_mart(target_path, AUDIT_MODEL).relation
        entries = locate_mart(target_path, REJECTED_ENTRIES_MODEL).relation
    except StaleArtifactsError as exc:
        log.warning("cannot tell what the build rejected", extra={"fields": {"problem": str(exc)}})
        return Unevaluated(known=False)
    sums = ", ".join(
        f"coalesce(sum({column}), 0)"
        for column in [f"rejected_{reason}" for reason in UNREADABLE_REASONS]
        + ["accreditations_rejected"]
    )
    too_long, encoding, not_json, not_object, duplicate_key, missing_id, rejected = (
        int(value)
        for value in next(run_query(target, f"select {sums} from {audit.sql}", [], audit.sql).rows)
    )
    facilities = (
        "select facility_id, count(*) over () from "
        f"(select distinct facility_id from {entries.sql}) as concerned "
        f"order by facility_id limit {_FACILITIES_NAMED}"
    )
    rows = list(run_query(target, facilities, [], entries.sql).rows)
    return Unevaluated(
        line_too_long=too_long,
        invalid_encoding=encoding,
        invalid_json=not_json,
        not_an_object=not_object,
        duplicate_key=duplicate_key,
        missing_facility_id=missing_id,
        entries_rejected=rejected,
        facility_count=int(rows[0][1]) if rows else 0,
        facilities=tuple(str(row[0]) for row in rows),
    )


# The made-up records shipped with the repository: what a build reads when FACILITIES_PATH is
# unset. Alerts built from them must not reach a real topic.
SAMPLE_FOLDER = Path("data") / "sample"


def bundled_sample_files(target: Target, target_path: Path, project_dir: Path) -> list[str]:
    """The files of the last build that are the project's bundled sample data."""
    relation = locate_mart(target_path, AUDIT_MODEL).relation
    sql = f"select distinct source_file from {relation.sql} order by source_file"
    sample = (project_dir / SAMPLE_FOLDER).resolve()
    found = []
    for (source_file,) in run_query(target, sql, [], relation.sql).rows:
        text = str(source_file)
        if "://" in text:
            continue
        path = Path(text) if Path(text).is_absolute() else project_dir / text
        if path.resolve().is_relative_to(sample):
            found.append(text)
    return found
