"""Legal but odd values warn and never fail the build; malformed vars stop it with a clear error.

A failed build stops every alert, so a data-quality rule on a value must warn, not fail: a
negative employee count (a JSON integer, kept as given) and two accreditation entries without a
body and with the same id and date (they stand alone by the contract, so the mart has both).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from dbt_testing import CHALLENGE_SAMPLE, DbtRun, run_dbt

AS_OF = "2025-05-15"
RECORDS = [
    {
        "facility_id": "FAC1",
        "facility_name": "Odd Values Clinic",
        "location": {"state": "TX"},
        "employee_count": -5,
        "services": [],
        "accreditations": [
            {"accreditation_body": None, "accreditation_id": "X1", "valid_until": "2025-06-30"},
            {"accreditation_body": None, "accreditation_id": "X1", "valid_until": "2025-06-30"},
            {"accreditation_body": "NCQA", "accreditation_id": "N1", "valid_until": "2025-07-31"},
        ],
    }
]


def test_negative_count_and_repeated_body_less_entries_warn(
    dbt_build: Callable[..., DbtRun], tmp_path: Path
) -> None:
    path = tmp_path / "odd.ndjson"
    path.write_text("".join(json.dumps(record) + "\n" for record in RECORDS))

    run = dbt_build(path, AS_OF)  # the fixture asserts the build succeeded

    # Test names carry a hash suffix after the name dbt gives them.
    statuses = {name.split(".")[0]: status for name, status in run.results_by_name().items()}
    for version in (2, 3):
        assert (
            statuses[f"one_row_per_facility_and_body_expiring_accreditations_v{version}"] == "pass"
        )
        assert statuses[f"body_less_entries_repeated_expiring_accreditations_v{version}"] == "warn"
    assert statuses["one_row_per_facility_and_body_current_accreditations"] == "pass"
    assert statuses["body_less_entries_repeated_current_accreditations"] == "warn"
    for version in (1, 2):
        name = f"expression_is_true_facility_summary_v{version}_employee_count__employee_count_0"
        assert statuses[name] == "warn"
    assert run.rows("select employee_count from facility_summary_v2") == [(-5,)]
    assert run.rows(
        "select accreditation_body, accreditation_id, cast(valid_until as varchar)"
        " from expiring_accreditations_v2 order by accreditation_id"
    ) == [("NCQA", "N1", "2025-07-31"), (None, "X1", "2025-06-30"), (None, "X1", "2025-06-30")]
    assert run.rows(
        "select accreditation_body, accreditation_id, cast(valid_until as varchar)"
        " from expiring_accreditations_v3 order by accreditation_id"
    ) == [("NCQA", "N1", "2025-07-31"), (None, "X1", "2025-06-30"), (None, "X1", "2025-06-30")]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("top_n", "abc", 'top_n must be a whole number of facilities, 0 or more, got "abc"'),
        (
            "max_rejected_share",
            "five",
            'max_rejected_share must be a share of lines between 0 and 1 (0.05 is 5%), got "five"',
        ),
        (
            "max_rejected_share",
            "5",
            'max_rejected_share must be a share of lines between 0 and 1 (0.05 is 5%), got "5"',
        ),
    ],
)
def test_malformed_numeric_vars_stop_compilation_with_their_names(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    """Jinja would coerce them silently ("abc" -> 0 facilities, "five" -> a 0% limit)."""
    run = run_dbt(
        tmp_path,
        "compile",
        facilities_path=CHALLENGE_SAMPLE,
        as_of_date=AS_OF,
        extra_vars={name: value},
    )
    assert run.returncode != 0
    assert message in run.output
    assert "Traceback" not in run.output
