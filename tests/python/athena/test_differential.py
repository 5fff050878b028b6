r"""The compiled Athena SQL computes what the DuckDB target computes.

Each model's compiled Athena (Trino) SQL is transpiled to DuckDB with sqlglot and run in DuckDB
over the same files, laid out as Athena's raw text table would hold them (`hive_text_lines`:
gunzipped, LF / CRLF / lone CR line ends, U+FFFD for bytes that are not UTF-8); every model's
rows must equal the `local` target's rows. What transpiling cannot express is emulated and
named here (`athena_sql_as_duckdb`, TRINO_FUNCTIONS_AS_DUCKDB_MACROS): `is_json_scalar`,
`json_size` and `fail` become DuckDB macros of the same meaning; dbt-athena's day count
`to_milliseconds(d2 - d1) / 86400000` becomes DuckDB's `date_diff('millisecond', d1, d2) //
86400000` (`with_trino_day_counts`); `length(to_utf8(x))` becomes `octet_length`,
`cardinality()` of a map stays `cardinality()`, and `json_array_length` is cast to bigint as
Trino types it. The raw table's row order stands for Athena reading each small file as one
split, in order (`with_scan_order_line_numbers`; see macros/raw_facility_lines.sql on line
numbers). Seeds are loaded as dbt-athena loads them
(`create_csv_table_upload`): dbt's CSV reader, then every column read as text and
`cast(nullif(column, '') as <column_types>)`. The regular expressions run on DuckDB's RE2, not
Trino's Joni: the project's patterns avoid every construct the two read differently (no `\s`,
no `.`, explicit character classes), which test_athena_sql_style checks.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from athena_testing import AS_OF, AthenaProject
from dbt_testing import (
    FIXTURES_DIR,
    LIFECYCLE_SEEDS,
    MART_TABLES,
    REPO_ROOT,
    DbtRun,
    lifecycle_facilities,
    project_copy,
    run_dbt,
)
from sqlglot import expressions as exp

TRINO_FUNCTIONS_AS_DUCKDB_MACROS = [
    "create macro is_json_scalar(value) as json_type(value) not in ('OBJECT', 'ARRAY')",
    # Trino's json_size reads the text as written: every member counts, a repeated name too
    # (DuckDB's json_keys keeps them as well); a scalar has size 0, a missing path null.
    "create macro json_size(json_text, path) as case json_type(json_text, path)"
    " when 'OBJECT' then len(json_keys(json_text, path))"
    " when 'ARRAY' then json_array_length(json_text, path)"
    " when null then null else 0 end",
    # fail(message) raises the message as the query's error, as DuckDB's error() does.
    "create macro fail(message) as error(message)",
]


def athena_sql_as_duckdb(compiled_code: str) -> str:
    """One model's compiled Athena SQL as DuckDB SQL: sqlglot's transpilation, plus the
    rewrites of what it keeps the words of but not the meaning of."""
    tree = sqlglot.parse_one(compiled_code, read="athena")
    tree = with_map_cardinalities(with_octet_lengths(with_trino_day_counts(tree)))
    return with_scan_order_line_numbers(with_bigint_array_lengths(tree)).sql(dialect="duckdb")


def with_scan_order_line_numbers(tree: exp.Expression) -> exp.Expression:
    """`row_number() over (partition by source_file)` numbered in the raw table's row order.

    The Athena SQL numbers lines in the order Athena read each file (one split per file); the
    stand-in for that order is the raw table's insertion order, its rowid. DuckDB's window sort
    does not keep it by itself, so the scan passes rowid on and the window orders by it.
    """
    for select in tree.find_all(exp.Select):
        source = select.args.get("from_") or select.args.get("from")
        table = source.this if source is not None else None
        reads_raw_lines = isinstance(table, exp.Table) and table.name == "facility_lines"
        if reads_raw_lines and not select.args.get("distinct"):
            select.select(exp.alias_(exp.column("rowid"), "scan_ordinal"), copy=False)

    def rewrite(node: exp.Expression) -> exp.Expression:
        if (
            isinstance(node, exp.Window)
            and isinstance(node.this, exp.RowNumber)
            and node.args.get("partition_by")
            and not node.args.get("order")
        ):
            node.set("order", exp.Order(expressions=[exp.Ordered(this=exp.column("scan_ordinal"))]))
        return node

    return tree.transform(rewrite)


def with_bigint_array_lengths(tree: exp.Expression) -> exp.Expression:
    """json_array_length is a bigint in Trino, an unsigned one in DuckDB, which
    generate_series (Trino's sequence) refuses: cast as Trino types it."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.lower() == "json_array_length":
            return exp.cast(node, "bigint")
        return node

    return tree.transform(rewrite)


def with_octet_lengths(tree: exp.Expression) -> exp.Expression:
    """Trino's `length(to_utf8(x))` (bytes) as DuckDB's octet_length: sqlglot writes
    `length(encode(x))`, which DuckDB refuses for a BLOB."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Length) and isinstance(node.this, exp.Encode):
            return exp.Anonymous(this="octet_length", expressions=[node.this])
        return node

    return tree.transform(rewrite)


def with_map_cardinalities(tree: exp.Expression) -> exp.Expression:
    """Trino's cardinality() of a map (a cast to map, possibly in try()) as DuckDB's
    cardinality(): sqlglot writes array_length, which DuckDB has for lists only. A cast of
    JSON with a repeated member name to a map fails on both engines (try() makes it null)."""

    def is_map(node: exp.Expression) -> bool:
        inner = node.this if isinstance(node, exp.Try) else node
        return isinstance(inner, exp.Cast) and inner.to.is_type(exp.DataType.Type.MAP)

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ArraySize) and is_map(node.this):
            return exp.Anonymous(this="cardinality", expressions=[node.this])
        return node

    return tree.transform(rewrite)


def hive_text_lines(path: Path) -> list[str]:
    """The rows Athena's raw text table gives for a file: Hadoop's LineReader and Text decoding.

    Gunzipped by extension, lines ended by LF, CRLF or a lone CR (a final line end adds no
    row), each ill-formed UTF-8 sequence replaced by U+FFFD; the BOM is left in the first row
    (the SQL removes it).
    """
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    lines = re.split(rb"\r\n|\r|\n", data)
    if lines[-1] == b"":
        lines.pop()
    return [line.decode("utf-8", errors="replace") for line in lines]


def with_trino_day_counts(tree: exp.Expression) -> exp.Expression:
    """dbt-athena's datediff by day, `to_milliseconds(d2 - d1) / 86400000`, in DuckDB's terms.

    In Trino `d2 - d1` of two dates is an interval, to_milliseconds() its length and `/` of two
    bigints an integer division; in DuckDB `d2 - d1` is already a day count and `/` divides as
    floats. sqlglot keeps the words, not the meaning, so the whole quotient is rewritten.
    """

    def rewrite(node: exp.Expression) -> exp.Expression:
        numerator = node.this.unnest() if isinstance(node, exp.Div) else None
        if isinstance(numerator, exp.Anonymous) and numerator.name.lower() == "to_milliseconds":
            difference = numerator.expressions[0].unnest()
            assert isinstance(difference, exp.Sub), difference.sql()
            milliseconds = exp.Anonymous(
                this="date_diff",
                expressions=[
                    exp.Literal.string("millisecond"),
                    exp.cast(difference.expression, "timestamp"),
                    exp.cast(difference.this, "timestamp"),
                ],
            )
            return exp.IntDiv(this=milliseconds, expression=node.expression)
        return node

    rewritten = tree.transform(rewrite)
    left = [
        node.sql()
        for node in rewritten.find_all(exp.Anonymous)
        if node.name.lower() == "to_milliseconds"
    ]
    assert left == [], f"to_milliseconds outside a day count: {left}"
    return rewritten


def models_in_build_order(athena_project: AthenaProject) -> list[dict[str, Any]]:
    # Ephemeral models have no relation: their SQL is compiled into the models that read them.
    models = {
        unique_id: node
        for unique_id, node in athena_project.nodes("model").items()
        if node["config"]["materialized"] != "ephemeral"
    }
    ordered: list[dict[str, Any]] = []
    done: set[str] = set()

    def visit(unique_id: str) -> None:
        if unique_id in done or unique_id not in models:
            return
        for parent in models[unique_id]["depends_on"]["nodes"]:
            visit(parent)
        done.add(unique_id)
        ordered.append(models[unique_id])

    for unique_id in sorted(models):
        visit(unique_id)
    return ordered


def load_seeds_as_athena_does(
    con: duckdb.DuckDBPyConnection, athena_project: AthenaProject, seeds_dir: Path
) -> None:
    """Each seed as dbt-athena's upload path makes it: text columns, then cast(nullif(...))."""
    for seed in athena_project.nodes("seed").values():
        with (seeds_dir / f"{seed['name']}.csv").open(newline="", encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        # dbt's CSV reader (agate) reads '' and 'null' in a text column as null, and dbt-athena
        # uploads a null as an empty field.
        rows = [[None if value in ("", "null") else value for value in row] for row in rows]
        types = seed["config"]["column_types"]
        assert sorted(types) == sorted(header), seed["name"]
        staging = f"{seed['name']}__dbt_tmp"
        con.execute(f"create table {staging} ({', '.join(f'{c} varchar' for c in header)})")
        if rows:
            con.executemany(f"insert into {staging} values ({', '.join('?' * len(header))})", rows)
        casts = ", ".join(f"cast(nullif({c}, '') as {types[c]}) as {c}" for c in header)
        con.execute(f"create table {seed['relation_name']} as select {casts} from {staging}")


def run_athena_sql_in_duckdb(
    athena_project: AthenaProject, files: list[Path], local: DbtRun, seeds_dir: Path
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set threads = 1")
    con.execute("attach ':memory:' as awsdatacatalog")
    con.execute("create schema awsdatacatalog.accreditation_monitor")
    load_seeds_as_athena_does(con, athena_project, seeds_dir)
    con.execute(
        "create table awsdatacatalog.accreditation_monitor.facility_lines"
        ' (line varchar, "$path" varchar)'
    )
    for path in files:
        con.executemany(
            "insert into awsdatacatalog.accreditation_monitor.facility_lines values (?, ?)",
            [(line, str(path)) for line in hive_text_lines(path)],
        )
    for macro in TRINO_FUNCTIONS_AS_DUCKDB_MACROS:
        con.execute(macro)
    for model in models_in_build_order(athena_project):
        duckdb_sql = athena_sql_as_duckdb(model["compiled_code"])
        con.execute(f"create table {model['relation_name']} as {duckdb_sql}")
    con.execute(f"attach '{local.duckdb_path}' as local_build (read_only)")
    return con


def rows_of(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[list[str], Counter[str]]:
    cursor = con.execute(f"select * from {relation}")
    columns = [column[0] for column in cursor.description]
    return columns, Counter(
        json.dumps(dict(zip(columns, row, strict=True)), default=str, sort_keys=True)
        for row in cursor.fetchall()
    )


def python_pipeline_row_counts(pattern: str, out_dir: Path) -> dict[str, int]:
    """Rows of the latest marts as bench/python_baseline.py (the pure-Python reference) gives."""
    subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "bench" / "python_baseline.py"),
            *("--input", pattern, "--as-of", AS_OF, "--output", str(out_dir)),
        ],
        check=True,
        capture_output=True,
    )
    marts = [
        "facility_summary_v2",
        "expiring_accreditations_v2",
        "accredited_facilities_by_state_v2",
    ]
    return {
        mart: len((out_dir / f"{mart}.csv").read_text(encoding="utf-8").splitlines()) - 1
        for mart in marts
    }


Dataset = tuple[list[Path], DbtRun, dict[str, int], Path]


@pytest.fixture(
    scope="module",
    params=["bad_input", "generated", "lifecycle"],
)
def dataset(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    dbt_build: Callable[..., DbtRun],
) -> Dataset:
    """The files, their local build, the row counts some models must have, the seeds folder."""
    if request.param == "lifecycle":
        # The repo's alert seeds are empty: a copy of the project with rules and
        # acknowledgements, on the challenge's records plus a facility without a body, so that
        # the owner and acknowledgement joins of expiring_accreditations v3 compare real values.
        root = tmp_path_factory.mktemp("lifecycle")
        facilities = lifecycle_facilities(root / "facilities.ndjson")
        project = project_copy(root / "project", LIFECYCLE_SEEDS)
        local = run_dbt(
            root / "work",
            "build",
            facilities_path=facilities,
            as_of_date=AS_OF,
            project_dir=project,
        )
        assert local.returncode == 0, local.output[-4000:]
        # As of AS_OF: FAC12345's NCQA500, FAC54321's JC2002 and FAC99999's X1 expire by the
        # horizon, each with an owner and an acknowledgement (dbt_project/test_lifecycle_seeds.py
        # pins the values on DuckDB).
        expected = {
            "alert_owners": 4,
            "alert_acknowledgements": 5,
            "current_accreditations": 5,
            "expiring_accreditations_v3": 3,
            "expiring_accreditations_v3 with owner and acknowledgement": 3,
        }
        return [facilities], local, expected, project / "seeds"
    if request.param == "bad_input":
        folder = FIXTURES_DIR / "bad_input"
        extra_vars: dict[str, Any] | None = {"max_rejected_share": 1}
        # What dbt_project/test_bad_input.py pins line by line for these files as of AS_OF: 18
        # non-blank lines, 7 facilities, 11 rejected lines, 5 rejected entries, 7 current
        # accreditations up to the horizon, 5 states (null included).
        expected = {
            "base_facility_records": 18,
            "facility_summary_v2": 7,
            "rejected_records": 11,
            "rejected_accreditations": 5,
            "expiring_accreditations_v2": 7,
            "accredited_facilities_by_state_v2": 5,
        }
    else:
        # A generated set with every kind of defect, dated around the as-of date. The counts
        # come from the generator's own account of what it wrote and from the pure-Python
        # pipeline over the same file.
        folder = tmp_path_factory.mktemp("generated")
        stats_path = folder / "stats.json"
        subprocess.run(
            [
                sys.executable,
                str(REPO_ROOT / "scripts" / "generate_facilities.py"),
                *("--count", "2000", "--seed", "11", "--as-of", AS_OF),
                *("--output", str(folder / "facilities.ndjson"), "--stats", str(stats_path)),
            ],
            check=True,
        )
        extra_vars = None
        stats = json.loads(stats_path.read_text())
        expected = {
            "base_facility_records": stats["non_blank_lines"],
            "rejected_records": stats["rejected_records"],
            "rejected_accreditations": stats["rejected_accreditations"],
            **python_pipeline_row_counts(
                str(folder / "*.ndjson"), tmp_path_factory.mktemp("python_pipeline")
            ),
        }
        assert expected["facility_summary_v2"] == stats["facilities"]
    files = sorted(folder.glob("*.ndjson"))
    return files, dbt_build(folder / "*.ndjson", AS_OF, extra_vars), expected, REPO_ROOT / "seeds"


def test_every_model_gives_the_same_rows_on_both_engines(
    athena_project: AthenaProject, dataset: Dataset
) -> None:
    files, local, expected, seeds_dir = dataset
    con = run_athena_sql_in_duckdb(athena_project, files, local, seeds_dir)
    compared = {}
    relations = [*athena_project.nodes("seed").values(), *models_in_build_order(athena_project)]
    for node in relations:
        alias = node["relation_name"].split(".")[-1].strip('"')
        athena_columns, athena_rows = rows_of(con, node["relation_name"])
        local_columns, local_rows = rows_of(con, f"local_build.main.{alias}")
        assert athena_columns == local_columns, alias
        assert athena_rows == local_rows, alias
        compared[alias] = sum(local_rows.values())
    assert set(compared) >= {*MART_TABLES, "rejected_records", "rejected_accreditations"}
    [(owned_and_acknowledged,)] = con.execute(
        "select count(*) from awsdatacatalog.accreditation_monitor.expiring_accreditations_v3"
        " where owner is not null and acknowledged_until is not null"
    ).fetchall()
    compared["expiring_accreditations_v3 with owner and acknowledgement"] = owned_and_acknowledged
    # Equal and empty proves nothing: the models hold the rows known for these files.
    assert {name: compared[name] for name in expected} == expected
