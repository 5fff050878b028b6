"""One input set through the oracle, the local dbt target and the Athena SQL, compared exactly.

`check_files(files, workdir, athena)` writes the files, runs `dbt build` on the local target
for the reading models only (BUILD_SELECT), runs the compiled Athena SQL of the same models in
DuckDB over the files laid out as Athena's raw text table holds them (the machinery of
athena/test_differential.py), and returns every disagreement with the oracle.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import oracle
from dbt_testing import REPO_ROOT, DbtRun, run_dbt
from hypothesis import HealthCheck, Phase, settings

sys.path.insert(0, str(REPO_ROOT / "tests" / "python" / "athena"))
import test_differential as differential
from athena_testing import AS_OF, AthenaProject

# The models the comparison reads, and their parents (seeds and the base model); with cautious
# indirect selection only the data tests on these (the line accounting included) run with them.
COMPARED = [
    "stg_facilities",
    "stg_accreditations",
    "rejected_records",
    "rejected_accreditations",
    "load_audit",
]
BUILD_SELECT = [f"+{name}" for name in COMPARED]
# Pieces of about 4 KiB (the default is 32 MiB): each file of an example is read in 10 or more
# pieces, so piece boundaries fall after every kind of line end the generator writes.
BUILD_VARS = {"max_rejected_share": 1, "min_facilities": 0, "raw_file_piece_bytes": 4096}
QUERIES = {
    "kept": "select source_file, line_number, facility_id, state, employee_count,"
    " number_of_offered_services from {stg_facilities}",
    "rejected": "select source_file, line_number, reason, raw_line from {rejected_records}",
    "entry_rejected": "select facility_id, position, reason from {rejected_accreditations}",
    "entry_valid": "select facility_id, position, accreditation_body, accreditation_id,"
    " cast(valid_until as varchar) from {stg_accreditations} where reject_reason is null",
    "audit": "select source_file, lines_read, facilities_kept, records_rejected from {load_audit}",
}
REGRESSIONS_DIR = Path(__file__).resolve().parent / "regressions"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "property"


# Settings profiles; PROPERTY_PROFILE picks one (default `ci`).
# One example is one dbt build (seconds), so no shrinking: a failure is reported with every
# disagreeing line instead, and its files are kept (property_checks.save_example).
_COMMON = {
    "deadline": None,
    "database": None,
    "print_blob": False,
    "phases": (Phase.explicit, Phase.generate),
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
}
# `make test`: the same examples on every run, over 5,000 generated lines in all.
settings.register_profile("ci", max_examples=5, derandomize=True, **_COMMON)
# `make fuzz`: a seed of its own (--hypothesis-seed) and FUZZ_EXAMPLES examples.
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), derandomize=False, **_COMMON
)
PROFILE = os.environ.get("PROPERTY_PROFILE", "ci")


@dataclass(repr=False)
class Athena:
    """The compiled Athena project and its models' SQL, transpiled to DuckDB once."""

    project: AthenaProject
    models: list[tuple[str, str, str]]  # (name, relation, DuckDB SQL), in build order


def compile_athena(project: AthenaProject) -> Athena:
    """The reading models of the compiled project, as DuckDB SQL in build order."""
    wanted: set[str] = set()
    by_name = {n["name"]: n for n in project.nodes("model").values()}
    by_id = project.nodes("model")

    def ancestors(node: dict[str, Any]) -> None:
        wanted.add(node["unique_id"])
        for parent in node["depends_on"]["nodes"]:
            if parent in by_id:
                ancestors(by_id[parent])

    for name in COMPARED:
        ancestors(by_name[name])
    models = []
    for model in differential.models_in_build_order(project):
        if model["unique_id"] in wanted:
            sql = differential.athena_sql_as_duckdb(model["compiled_code"])
            models.append((model["name"], model["relation_name"], sql))
    return Athena(project, models)


def run_athena_sql(athena: Athena, paths: list[Path]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set threads = 1")  # one split per file, read in order
    con.execute("attach ':memory:' as awsdatacatalog")
    con.execute("create schema awsdatacatalog.accreditation_monitor")
    differential.load_seeds_as_athena_does(con, athena.project, REPO_ROOT / "seeds")
    con.execute(
        "create table awsdatacatalog.accreditation_monitor.facility_lines"
        ' (line varchar, "$path" varchar)'
    )
    for path in paths:
        con.executemany(
            "insert into awsdatacatalog.accreditation_monitor.facility_lines values (?, ?)",
            [(line, str(path)) for line in differential.hive_text_lines(path)],
        )
    for macro in differential.TRINO_FUNCTIONS_AS_DUCKDB_MACROS:
        con.execute(macro)
    for _, relation, sql in athena.models:
        con.execute(f"create table {relation} as {sql}")
    return con


Outcomes = dict[str, dict[tuple[Any, ...], list[tuple[Any, ...]]]]


def _outcomes(rows: dict[str, list[tuple[Any, ...]]]) -> Outcomes:
    """Per line (file, line number) and per entry (facility, position): what it became."""
    result: Outcomes = {"line": defaultdict(list), "entry": defaultdict(list), "file": {}}
    for file, line, facility_id, state, count, services in rows["kept"]:
        result["line"][(Path(file).name, line)].append(
            ("kept", facility_id, state, count, services)
        )
    for file, line, reason, raw_line in rows["rejected"]:
        result["line"][(Path(file).name, line)].append((reason, raw_line))
    for facility_id, position, reason in rows["entry_rejected"]:
        result["entry"][(facility_id, position)].append((reason,))
    for facility_id, position, body, accreditation_id, until in rows["entry_valid"]:
        result["entry"][(facility_id, position)].append(("valid", body, accreditation_id, until))
    for key in ("line", "entry"):
        result[key] = {k: sorted(v, key=repr) for k, v in result[key].items()}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # kept, rejected
    for (file, _), outcomes in result["line"].items():
        counts[file][0] += sum(o[0] == "kept" for o in outcomes)
        counts[file][1] += sum(o[0] != "kept" for o in outcomes)
    result["counts"] = {(file,): [tuple(c)] for file, c in counts.items()}  # type: ignore[misc]
    # The invariant's right-hand side: facilities + rejected records, per file.
    result["file"] = {(file,): [(kept + rejected,)] for file, (kept, rejected) in counts.items()}
    result["audit"] = {
        (Path(file).name,): [(read, kept, rejected)] for file, read, kept, rejected in rows["audit"]
    }
    return result


def oracle_outcomes(reading: oracle.Reading) -> Outcomes:
    rows: dict[str, list[tuple[Any, ...]]] = {
        "kept": [
            (
                f.source_file,
                f.line_number,
                f.facility_id,
                f.state,
                f.employee_count,
                f.number_of_offered_services,
            )
            for f in reading.facilities
        ],
        "rejected": [
            (r.source_file, r.line_number, r.reason, r.raw_line) for r in reading.rejected_records
        ],
        "entry_rejected": [(e.facility_id, e.position, e.reason) for e in reading.rejected_entries],
        "entry_valid": [
            (e.facility_id, e.position, e.accreditation_body, e.accreditation_id, e.valid_until)
            for e in reading.entries
        ],
        "audit": [],
    }
    result = _outcomes(rows)
    # The invariant's left-hand side: the non-blank lines of each file.
    result["file"] = {(name,): [(count,)] for name, count in reading.non_blank_lines.items()}
    for name, count in reading.non_blank_lines.items():
        kept, rejected = result["counts"].get((name,), [(0, 0)])[0]
        assert kept + rejected == count, f"the oracle breaks the invariant in {name}"
        result["audit"][(name,)] = [(count, kept, rejected)]
    return result


def engine_outcomes(
    con: duckdb.DuckDBPyConnection, relations: dict[str, str]
) -> tuple[Outcomes, list[str]]:
    rows, missing = {}, []
    for key, query in QUERIES.items():
        try:
            rows[key] = con.execute(query.format(**relations)).fetchall()
        except duckdb.Error as error:
            rows[key] = []
            missing.append(f"{key}: {str(error).splitlines()[0]}")
    return _outcomes(rows), missing


@dataclass(frozen=True)
class Disagreement:
    engine: str
    table: str  # line, entry, file (facilities + rejects per file), audit (load_audit)
    key: tuple[Any, ...]
    oracle: list[tuple[Any, ...]]
    got: list[tuple[Any, ...]]

    def kind(self) -> str:
        """The class of a disagreement: the outcome kinds, not their values."""

        def label(outcomes: list[tuple[Any, ...]]) -> str:
            return "+".join(str(o[0]) for o in outcomes) or "nothing"

        if self.table in ("line", "entry"):
            oracle_kind, got_kind = label(self.oracle), label(self.got)
            if oracle_kind == got_kind and len(self.oracle) == 1:
                names = {
                    "line": ["", "facility_id", "state", "employee_count", "services"]
                    if oracle_kind == "kept"
                    else ["", "raw_line"],
                    "entry": ["", "body", "id", "valid_until"],
                }[self.table]
                fields = [
                    n for n, a, b in zip(names, self.oracle[0], self.got[0], strict=False) if a != b
                ]
                return f"{self.engine} {self.table}: {oracle_kind}, {'/'.join(fields)} differs"
            return f"{self.engine} {self.table}: oracle {oracle_kind}, {self.engine} {got_kind}"
        return f"{self.engine} {self.table} counts differ"


def compare(expected: Outcomes, got: Outcomes, engine: str) -> list[Disagreement]:
    found = []
    for table in ("line", "entry", "file", "audit"):
        for key in sorted(set(expected[table]) | set(got[table]), key=repr):
            want, have = expected[table].get(key, []), got[table].get(key, [])
            if want != have:
                found.append(Disagreement(engine, table, key, want, have))
    return found


def build_local(files_dir: Path, workdir: Path) -> DbtRun:
    return run_dbt(
        workdir,
        "build",
        "--select",
        *BUILD_SELECT,
        "--indirect-selection",
        "cautious",
        facilities_path=files_dir / "*",
        as_of_date=AS_OF,
        extra_vars=BUILD_VARS,
    )


def write_files(files: dict[str, bytes], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return sorted(folder / name for name in files)


@dataclass
class Result:
    disagreements: list[Disagreement]
    build_problems: list[str]
    lines: dict[tuple[str, int], str]  # the text of every line, to show

    def ok(self) -> bool:
        return not self.disagreements and not self.build_problems

    def summary(self, limit: int = 3) -> str:
        """Every class of disagreement with its count and its first examples."""
        by_kind: dict[str, list[Disagreement]] = defaultdict(list)
        for d in self.disagreements:
            by_kind[d.kind()].append(d)
        out = [*self.build_problems]
        for kind, found in sorted(by_kind.items()):
            out.append(f"{kind}: {len(found)}")
            for d in found[:limit]:
                shown = self.lines.get(d.key, "") if d.table == "line" else ""  # type: ignore[arg-type]
                out.append(f"    {d.key}: oracle {d.oracle} / {d.engine} {d.got}")
                if shown:
                    out.append(f"        line: {shown[:300]!r}")
        return "\n".join(out)


def check_files(files: dict[str, bytes], workdir: Path, athena: Athena) -> Result:
    paths = write_files(files, workdir / "files")
    expected = oracle_outcomes(oracle.read_files(files))
    lines = {
        (name, number): line.decode("utf-8", errors="replace")
        for name in files
        for number, line in enumerate(oracle.physical_lines(name, files[name]), start=1)
    }
    local = build_local(workdir / "files", workdir / "dbt")
    problems = []
    if local.returncode != 0:
        failed = _failed_nodes(local)
        problems.append(
            f"local: dbt build exited {local.returncode}; {failed or local.output[-1500:]}"
        )
    relations = {name: f"main.{name}" for name in COMPARED}
    with duckdb.connect(str(local.duckdb_path), read_only=True) as con:
        got, missing = engine_outcomes(con, relations)
    problems += [f"local: {m}" for m in missing]
    found = compare(expected, got, "local")
    try:
        con = run_athena_sql(athena, paths)
    except duckdb.Error as error:
        problems.append(f"athena: the Athena SQL failed in DuckDB: {str(error)[:500]}")
    else:
        relations = {name: relation for name, relation, _ in athena.models if name in COMPARED}
        got, missing = engine_outcomes(con, relations)
        con.close()
        problems += [f"athena: {m}" for m in missing]
        found += compare(expected, got, "athena")
    return Result(found, problems, lines)


def _failed_nodes(run: DbtRun) -> str:
    try:
        results = json.loads((run.target_path / "run_results.json").read_text())["results"]
    except (OSError, KeyError, ValueError):
        return ""
    return "; ".join(
        f"{r['unique_id'].split('.', 2)[2]} {r['status']}: {(r.get('message') or '')[:200]}"
        for r in results
        if r["status"] in ("error", "fail", "skipped")
    )


def save_example(files: dict[str, bytes], result: Result, folder: Path, how: str) -> Path:
    """The files and a README of what failed: a regression fixture, replayed by the tests."""
    write_files(files, folder / "files")
    (folder / "README.md").write_text(
        f"# {folder.name}\n\n{how}\n\nWhat disagreed with the oracle when it was saved "
        "(the test replays the files and compares everything again):\n\n```\n"
        + result.summary(limit=5)
        + "\n```\n",
        encoding="utf-8",
    )
    return folder


def load_example(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((folder / "files").iterdir())}
