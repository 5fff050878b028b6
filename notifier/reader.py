"""Run read-only queries on the target's warehouse (DuckDB or Athena) and stream the rows.

The mart's alert candidates come out most urgent first; the pipeline also reads the load audit
and exports the marts through the same two connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import duckdb

from notifier.artifacts import Relation
from notifier.errors import BadInputError
from notifier.profile import AthenaTarget, DuckDBTarget, Target
from notifier.tiers import MART_COLUMNS, Row

_FETCH_ROWS = 10_000
_DATE_COLUMNS = frozenset({"valid_until", "as_of_date", "acknowledged_until"})
# Athena's GetQueryResults returns at most 1,000 rows a page.
_ATHENA_PAGE_ROWS = 1_000


def _query(relation: Relation) -> str:
    # The relation is the only text spliced in, and Relation re-quotes every identifier; the one
    # value, the day bound, is a bound parameter. Ordering by days puts lapsed ones first and
    # yields tiers in severity order, so the caller can stream them.
    # Dates come back as ISO text: converting a million dates to Python objects and back to
    # text for output costs more than the whole query.
    columns = ", ".join(
        f"cast({column} as varchar)" if column in _DATE_COLUMNS else column
        for column in MART_COLUMNS
    )
    return (
        f"select {columns} from {relation.sql} "
        "where days_until_expiry <= ? "
        "order by days_until_expiry, facility_id, accreditation_body, accreditation_id"
    )


def stream_rows(target: Target, relation: Relation, max_days: int) -> Iterator[Row]:
    """Run the query now, so bad input fails before any output, and stream rows as iterated."""
    return cast(Iterator[Row], run_query(target, _query(relation), [max_days], relation.sql).rows)


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: Iterator[tuple[Any, ...]]


def run_query(target: Target, sql: str, params: list[Any], what: str) -> QueryResult:
    """Start `sql` (parameters bound, never formatted in) and stream its rows as iterated.

    `what` names the relation read, for the error message.
    """
    if isinstance(target, DuckDBTarget):
        return _duckdb_query(target, sql, params, what)
    return _athena_query(target, sql, params, what)


def _duckdb_query(target: DuckDBTarget, sql: str, params: list[Any], what: str) -> QueryResult:
    if not target.path.is_file():
        raise BadInputError(
            f"DuckDB file {target.path} of target {target.name!r} does not exist "
            "(is DUCKDB_PATH the one dbt built with?)"
        )
    # Read-only, so a running dbt build or a second notifier is not blocked and nothing is written.
    try:
        connection = duckdb.connect(str(target.path), read_only=True)
    except duckdb.Error as exc:
        raise BadInputError(f"cannot open {target.path}: {exc}") from exc
    try:
        # The progress bar would draw on stderr, among the logs.
        connection.execute("set enable_progress_bar = false")
        result = connection.execute(sql, params)
    except duckdb.Error as exc:
        connection.close()
        raise BadInputError(f"cannot read {what} from {target.path}: {exc}") from exc
    columns = [column[0] for column in result.description or []]
    return QueryResult(columns, _drain_duckdb(connection, result))


def _drain_duckdb(
    connection: duckdb.DuckDBPyConnection, result: duckdb.DuckDBPyConnection
) -> Iterator[tuple[Any, ...]]:
    try:
        while batch := result.fetchmany(_FETCH_ROWS):
            yield from batch
    finally:
        connection.close()


def _athena_query(target: AthenaTarget, sql: str, params: list[Any], what: str) -> QueryResult:
    # Imported here: pyathena adds startup cost that the local target does not need.
    from pyathena import connect
    from pyathena.error import Error as AthenaError

    # pyathena builds its clients from a boto3 session, which honours AWS_ENDPOINT_URL and the
    # standard credential chain; nothing here overrides either.
    options: dict[str, Any] = {"s3_staging_dir": target.s3_staging_dir}
    if target.region_name:
        options["region_name"] = target.region_name
    if target.work_group:
        options["work_group"] = target.work_group
    if target.aws_profile_name:
        options["profile_name"] = target.aws_profile_name
    try:
        connection = connect(**options)
        cursor = connection.cursor(arraysize=_ATHENA_PAGE_ROWS)
        # qmark sends the values as Athena ExecutionParameters instead of formatting them in.
        cursor.execute(sql, [str(param) for param in params] or None, paramstyle="qmark")
    except AthenaError as exc:
        raise BadInputError(f"Athena query on {what} failed: {exc}") from exc
    columns = [column[0] for column in cursor.description or []]
    return QueryResult(columns, _drain_athena(connection, cursor))


def _drain_athena(connection: Any, cursor: Any) -> Iterator[tuple[Any, ...]]:
    try:
        # The default cursor fetches one GetQueryResults page at a time as it is iterated.
        for row in cursor:
            yield tuple(row)
    finally:
        cursor.close()
        connection.close()
