#!/usr/bin/env python3
"""Row counts and an order-independent checksum per mart, for any of the three outputs.

A source is either a DuckDB file (tables <mart> in schema main, as dbt and the DuckDB baseline
write them) or a directory of <mart>.csv files (the Python baseline; NULL written as \\N).
Every value is rendered to a canonical string (dates ISO, integers as digits, NULL as \\N), a
row is its values joined by \\x1f, and the checksum is the sum of DuckDB `hash()` of the rows, so
column types (INTEGER vs BIGINT, DATE vs TIMESTAMP at midnight) and row order do not matter but
any value does. All hashing happens in DuckDB, so the same function hashes every source.

    python bench/compare.py target/accreditation_monitor.duckdb bench/data/out/python
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

# Column lists per docs/contract.md; the value says how to canonicalize it.
MARTS: dict[str, dict[str, str]] = {
    "facility_summary_v2": {
        "facility_id": "VARCHAR",
        "facility_name": "VARCHAR",
        "employee_count": "BIGINT",
        "number_of_offered_services": "BIGINT",
        "expiry_date_of_first_accreditation": "DATE",
        "state": "VARCHAR",
        "accreditation_count": "BIGINT",
        "expiry_rank": "BIGINT",
    },
    "expiring_accreditations_v2": {
        "facility_id": "VARCHAR",
        "facility_name": "VARCHAR",
        "state": "VARCHAR",
        "accreditation_body": "VARCHAR",
        "accreditation_id": "VARCHAR",
        "valid_until": "DATE",
        "as_of_date": "DATE",
        "days_until_expiry": "BIGINT",
        "status": "VARCHAR",
    },
    "accredited_facilities_by_state_v2": {
        "state": "VARCHAR",
        "facility_count": "BIGINT",
        "accredited_facility_count": "BIGINT",
        "currently_accredited_facility_count": "BIGINT",
        "as_of_date": "DATE",
    },
}


@dataclass(frozen=True)
class MartDigest:
    rows: int
    checksum: str


def _relation_sql(con: duckdb.DuckDBPyConnection, source: Path, mart: str, alias: str) -> str:
    cols = MARTS[mart]
    if source.is_dir():
        path = str(source / f"{mart}.csv").replace("'", "''")
        types = ", ".join(f"'{c}': '{t}'" for c, t in cols.items())
        return (
            f"read_csv('{path}', header = true, columns = {{{types}}}, nullstr = '\\N', "
            "auto_detect = false, quote = '\"', escape = '\"')"
        )
    attached = {
        row[0] for row in con.execute("select database_name from duckdb_databases()").fetchall()
    }
    if alias not in attached:
        con.execute(f"attach '{str(source).replace(chr(39), chr(39) * 2)}' as {alias} (read_only)")
    return f"{alias}.main.{mart}"


def canonical_select(
    con: duckdb.DuckDBPyConnection, source: Path, mart: str, alias: str = "src"
) -> str:
    """SELECT of one canonical string column `row` for every row of the mart."""
    parts = []
    for col, kind in MARTS[mart].items():
        value = f"cast({col} as date)" if kind == "DATE" else col
        parts.append(f"coalesce(cast({value} as varchar), '\\N')")
    relation = _relation_sql(con, source, mart, alias)
    return f"select concat_ws(chr(31), {', '.join(parts)}) as row from {relation}"


def digest(source: Path) -> dict[str, MartDigest]:
    con = duckdb.connect()
    try:
        out = {}
        for mart in MARTS:
            sql = canonical_select(con, source, mart)
            rows, checksum = con.execute(
                f"select count(*), coalesce(sum(hash(row)), 0)::hugeint from ({sql})"
            ).fetchall()[0]
            out[mart] = MartDigest(int(rows), f"{int(checksum) % 2**64:016x}")
        return out
    finally:
        con.close()


def differences(a: Path, b: Path, mart: str, limit: int = 5) -> list[str]:
    """A few canonical rows present in one source and not the other, to debug a mismatch."""
    con = duckdb.connect()
    try:
        sa = canonical_select(con, a, mart, "src_a")
        sb = canonical_select(con, b, mart, "src_b")
        lines = []
        for label, x, y in (("only in A", sa, sb), ("only in B", sb, sa)):
            for (row,) in con.execute(f"({x} except all {y}) limit {limit}").fetchall():
                lines.append(f"  {label}: {row.replace(chr(31), ' | ')}")
        return lines
    finally:
        con.close()


def compare(sources: dict[str, Path]) -> tuple[bool, str]:
    """(all agree, a printable table)."""
    digests = {name: digest(path) for name, path in sources.items()}
    names = list(sources)
    lines = [f"{'mart':<36}" + "".join(f"{n:>30}" for n in names)]
    ok = True
    for mart in MARTS:
        cells = [f"{d[mart].rows:>11} {d[mart].checksum}" for d in digests.values()]
        agree = len({(d[mart].rows, d[mart].checksum) for d in digests.values()}) == 1
        ok &= agree
        lines.append(f"{mart:<36}" + "".join(f"{c:>30}" for c in cells) + ("" if agree else "  <-"))
        if not agree:
            first = names[0]
            for other in names[1:]:
                if digests[other][mart] != digests[first][mart]:
                    lines.append(f" {first} (A) vs {other} (B):")
                    lines += differences(sources[first], sources[other], mart)
    return ok, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sources", nargs="+", type=Path, help="DuckDB files or CSV directories")
    args = ap.parse_args(argv)
    ok, table = compare({str(p): p for p in args.sources})
    print(table)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
