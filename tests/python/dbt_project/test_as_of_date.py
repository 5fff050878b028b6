"""Without the as_of_date var, one build uses one date: the UTC date its dbt invocation started.

dbt runs here under dbt_with_moving_clock.py, where the clock Jinja reads (`modules.datetime`)
moves a day forward at every reading: the worst case of a build that runs past midnight UTC. A
default taken from that clock at each use (`datetime.utcnow()`, as the macro once did) gives
the models of one build different dates and fails these tests; the default taken once from
dbt's `run_started_at` does not move.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from dbt_testing import CHALLENGE_SAMPLE, DbtRun, run_dbt

MOVING_CLOCK = (sys.executable, str(Path(__file__).with_name("dbt_with_moving_clock.py")))
DATE_LITERAL = re.compile(r"\bdate '([0-9]{4}-[0-9]{2}-[0-9]{2})'")
# The macros that put the as-of date into SQL.
AS_OF_MACRO_CALL = re.compile(r"\b(as_of_date|expiry_horizon|days_from_as_of_date)\(")


def test_the_moving_clock_moves_in_jinja(tmp_path: Path) -> None:
    """The wrapper works: two readings of Jinja's clock in one compile give two dates."""
    run = run_dbt(
        tmp_path,
        "compile",
        "--inline",
        "select '{{ modules.datetime.datetime.utcnow().date() }}' as first_reading,"
        " '{{ modules.datetime.datetime.utcnow().date() }}' as second_reading",
        facilities_path=CHALLENGE_SAMPLE,
        dbt_command=MOVING_CLOCK,
    )
    assert run.returncode == 0, run.output[-3000:]
    [(first, second)] = re.findall(
        r"select '(\S+)' as first_reading, '(\S+)' as second_reading", run.output
    )
    assert date.fromisoformat(second) > date.fromisoformat(first)


@pytest.fixture(scope="module")
def build_without_the_var(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtRun, datetime]:
    workdir = tmp_path_factory.mktemp("moving_clock_build")
    started_file = workdir / "run_started_at.txt"
    run = run_dbt(
        workdir,
        "build",
        facilities_path=CHALLENGE_SAMPLE,
        dbt_command=MOVING_CLOCK,
        extra_env={"RUN_STARTED_AT_FILE": str(started_file)},
    )
    assert run.returncode == 0, run.output[-4000:]
    return run, datetime.fromisoformat(started_file.read_text())


def built_nodes(run: DbtRun) -> dict[str, dict[str, Any]]:
    manifest = json.loads((run.target_path / "manifest.json").read_text())
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "test") and node.get("compiled_code")
    }


def calls_an_as_of_macro(node: dict[str, Any]) -> bool:
    written = node["raw_code"] + json.dumps((node.get("test_metadata") or {}).get("kwargs", {}))
    return bool(AS_OF_MACRO_CALL.search(written))


def test_the_default_is_the_utc_date_the_invocation_started(
    build_without_the_var: tuple[DbtRun, datetime],
) -> None:
    run, run_started_at = build_without_the_var
    as_of = run_started_at.astimezone(UTC).date()
    [(mart_date,)] = run.rows(
        "select as_of_date from main.expiring_accreditations_v2"
        " union select as_of_date from main.expiring_accreditations_v3"
        " union select as_of_date from main.current_accreditations"
        " union select as_of_date from main.accredited_facilities_by_state_v2"
    )
    assert mart_date == as_of
    # run_results.json says when the invocation started (read microseconds before
    # run_started_at, in the same preflight): the same UTC date.
    metadata = json.loads((run.target_path / "run_results.json").read_text())["metadata"]
    assert datetime.fromisoformat(metadata["invocation_started_at"]).date() == as_of


def test_every_model_and_test_of_the_build_carries_that_one_date(
    build_without_the_var: tuple[DbtRun, datetime],
) -> None:
    run, run_started_at = build_without_the_var
    as_of = run_started_at.astimezone(UTC).date().isoformat()
    nodes = built_nodes(run)
    dates = {
        unique_id: set(DATE_LITERAL.findall(node["compiled_code"]))
        for unique_id, node in nodes.items()
    }
    dated = {unique_id for unique_id, found in dates.items() if found}
    # Exactly the nodes whose SQL or test arguments call an as-of macro carry a date ...
    assert dated == {unique_id for unique_id, node in nodes.items() if calls_an_as_of_macro(node)}
    assert {unique_id for unique_id in dated if unique_id.startswith("model.")} == {
        "model.accreditation_monitor.int_facility_accreditation_stats",
        "model.accreditation_monitor.current_accreditations",
        "model.accreditation_monitor.expiring_accreditations.v1",
        "model.accreditation_monitor.expiring_accreditations.v2",
        "model.accreditation_monitor.expiring_accreditations.v3",
        "model.accreditation_monitor.accredited_facilities_by_state.v2",
    }
    # ... and it is the same date everywhere, however far the clock moved during the build.
    assert {unique_id: dates[unique_id] for unique_id in dated} == {
        unique_id: {as_of} for unique_id in dated
    }


def test_the_as_of_date_environment_variable_gives_a_new_date_without_a_re_parse(
    tmp_path: Path,
) -> None:
    """AS_OF_DATE is read only when nodes run: a new date re-parses nothing, a var still wins.

    dbt re-parses the whole project whenever --vars change; a daily run passing the date that
    way pays it every day (this is what `notifier run` avoids by passing AS_OF_DATE).
    """
    select = (
        "build",
        "--select",
        "+accredited_facilities_by_state.v2",
        "--exclude-resource-type",
        "test",
        "unit_test",
    )
    dates = []
    parse_lines = []
    for env_date, var_date in (
        ("2025-08-31", None),
        ("2025-09-01", None),
        ("2025-09-01", "2025-10-01"),
    ):
        run = run_dbt(
            tmp_path,
            *select,
            facilities_path=CHALLENGE_SAMPLE,
            as_of_date=var_date,
            extra_env={"AS_OF_DATE": env_date},
        )
        assert run.returncode == 0, run.output[-3000:]
        [(mart_date,)] = run.rows(
            "select distinct as_of_date from main.accredited_facilities_by_state_v2"
        )
        dates.append(mart_date.isoformat())
        log = (tmp_path / "logs" / "dbt.log").read_text()
        parse_lines.append(log.rsplit("Running with dbt", 1)[1])
    assert dates == ["2025-08-31", "2025-09-01", "2025-10-01"]
    # The second run, with only AS_OF_DATE changed, re-used the first run's parse whole.
    assert "Partial parsing enabled, no changes found, skipping parsing" in parse_lines[1]
    # The third added --vars: a full re-parse, as dbt does for any change of vars.
    assert "skipping parsing" not in parse_lines[2]
