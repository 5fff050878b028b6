"""row_checks, the grouped data test: each failing check is named with its count of rows."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from dbt_testing import CHALLENGE_SAMPLE, run_dbt

ROWS = "(select * from (values (1, 'x'), (null, 'y'), (3, null)) as t(amount, label))"


def compiled_inline(tmp_path: Path, sql: str) -> str:
    run = run_dbt(
        tmp_path, "compile", "--output", "json", "--inline", sql, facilities_path=CHALLENGE_SAMPLE
    )
    assert run.returncode == 0, run.output[-3000:]
    # `--output json` prints the compiled SQL as one (indented) JSON object after the log lines.
    document, _ = json.JSONDecoder().raw_decode(run.output, run.output.index("\n{") + 1)
    compiled: str = document["compiled"]
    return compiled


def test_every_failing_check_is_one_row_naming_it_with_its_failing_rows(tmp_path: Path) -> None:
    compiled = compiled_inline(
        tmp_path,
        '{{ test_row_checks("' + ROWS + '", not_null=["amount", "label"],'
        """ expressions=["amount > 1", "label <> 'it''s'", "amount < 10"]) }}""",
    )
    rows = duckdb.connect().execute(compiled).fetchall()
    # amount null on 1 row, label null on 1; `amount > 1` false on 1 and null on 1 (a null is a
    # failure); the label check null on 1; `amount < 10` fails only on the null.
    assert sorted(rows) == sorted(
        [
            ("not_null: amount", 1),
            ("not_null: label", 1),
            ("amount > 1", 2),
            ("label <> 'it''s'", 1),
            ("amount < 10", 1),
        ]
    )


def test_repeated_keys_and_unaccepted_values_are_counted_per_check(tmp_path: Path) -> None:
    rows = (
        "(select * from (values (1, 'x'), (1, 'x'), (2, 'y'), (2, 'z'), (null, null),"
        " (null, null), (3, 'it''s'), (4, null)) as t(amount, label))"
    )
    compiled = compiled_inline(
        tmp_path,
        '{{ test_row_checks("' + rows + '", unique=["amount", ["amount", "label"], "label"],'
        """ accepted_values={"label": ["x", "y", "it's"]}) }}""",
    )
    failing = duckdb.connect().execute(compiled).fetchall()
    # amount: 1 and 2 repeat (the null rows are left out); (amount, label): only (1, 'x')
    # repeats, since a key of nulls only is left out; label: 'x' repeats, null is left out.
    # label 'z' is not accepted; a null label is.
    assert sorted(failing) == sorted(
        [
            ("unique: amount", 2),
            ("unique: amount, label", 1),
            ("unique: label", 1),
            ("accepted_values: label", 1),
        ]
    )


def test_a_key_partly_null_still_counts_as_a_key(tmp_path: Path) -> None:
    rows = "(select * from (values (1, null), (1, null), (null, 'a')) as t(amount, label))"
    compiled = compiled_inline(
        tmp_path, '{{ test_row_checks("' + rows + '", unique=[["amount", "label"]]) }}'
    )
    assert duckdb.connect().execute(compiled).fetchall() == [("unique: amount, label", 1)]


def test_no_check_at_all_is_a_compilation_error(tmp_path: Path) -> None:
    run = run_dbt(
        tmp_path,
        "compile",
        "--inline",
        '{{ test_row_checks("' + ROWS + '") }}',
        facilities_path=CHALLENGE_SAMPLE,
    )
    assert run.returncode != 0
    assert "names no check: give not_null, unique, accepted_values or expressions" in run.output
    assert "Traceback" not in run.output
