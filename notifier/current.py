"""The current accreditations (`current_accreditations`): how an open alert that is no longer due
tells "renewed until X" from "no longer in the data"."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from notifier.artifacts import Relation, locate_mart
from notifier.lifecycle import CurrentEntry, CurrentLookup
from notifier.profile import Target
from notifier.reader import run_query

CURRENT_MODEL = "current_accreditations"
# Facility ids bound per query; beyond _MAX_FILTERED of them one full scan is cheaper.
_IDS_PER_QUERY = 200
_MAX_FILTERED = 2_000


def _select(relation: Relation, ids: int) -> str:
    where = f" where facility_id in ({', '.join('?' * ids)})" if ids else ""
    return (
        "select facility_id, accreditation_body, accreditation_id, cast(valid_until as varchar) "
        f"from {relation.sql}{where}"
    )


def current_lookup(target: Target, target_path: Path) -> CurrentLookup:
    relation = locate_mart(target_path, CURRENT_MODEL).relation

    def lookup(facility_ids: set[str]) -> Iterable[CurrentEntry]:
        ids = sorted(facility_ids)
        if len(ids) > _MAX_FILTERED:
            rows = run_query(target, _select(relation, 0), [], relation.sql).rows
            return (row for row in rows if row[0] in facility_ids)
        return _chunks(target, relation, ids)

    return lookup


def _chunks(target: Target, relation: Relation, ids: list[str]) -> Iterator[CurrentEntry]:
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        yield from run_query(target, _select(relation, len(chunk)), chunk, relation.sql).rows


def latest_as_of_date(target: Target, target_path: Path) -> str | None:
    """The as-of date the build used, for a send whose mart has no due row to carry it."""
    relation = locate_mart(target_path, CURRENT_MODEL).relation
    sql = f"select cast(max(as_of_date) as varchar) from {relation.sql}"
    value = next(run_query(target, sql, [], relation.sql).rows)[0]
    return str(value) if value is not None else None
