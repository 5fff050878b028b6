"""Property: for any input set, both engines read the files exactly as the oracle does.

Hypothesis draws whole input sets (generator.py): several files, each mixing realistic records
with defects at line, field and JSON level. Each example is built once with dbt on the local
target and once as the Athena SQL (athena/test_differential.py's machinery), and every kept
facility, rejected record, accreditation entry and per-file count must equal the oracle's.
A failing example's files are saved (property_checks.save_example); under `make fuzz` into
regressions/, which test_regression replays on every run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from generator import FILE_NAMES, KINDS, FileRecipe, InputSet, realize
from hypothesis import given, settings
from hypothesis import strategies as st
from property_checks import (
    ARTIFACTS_DIR,
    PROFILE,
    REGRESSIONS_DIR,
    Athena,
    check_files,
    compile_athena,
    load_example,
    save_example,
)

# Each example runs dbt: not in `make test-fast`.
pytestmark = pytest.mark.integration

# Three to five files of 150 to 400 lines: about 1,100 lines an example, 5,000 or more in five.
# dbt costs seconds a build whatever its size, so examples are few and large.
LINES_PER_FILE = (150, 400)
lines = st.tuples(st.sampled_from(KINDS), st.integers(0, 2**32 - 1))


def file_recipe(name: str) -> st.SearchStrategy[FileRecipe]:
    return st.builds(
        FileRecipe,
        name=st.just(name),
        gzip=st.booleans(),
        bom=st.booleans(),
        line_end=st.sampled_from(["lf", "crlf", "cr", "mixed"]),
        final_line_end=st.booleans(),
        lines=st.lists(lines, min_size=LINES_PER_FILE[0], max_size=LINES_PER_FILE[1]).map(tuple),
    )


input_sets = (
    st.lists(st.sampled_from(FILE_NAMES), min_size=3, max_size=5, unique=True)
    .flatmap(lambda names: st.tuples(*(file_recipe(name) for name in names)))
    .map(InputSet)
)


@pytest.fixture(scope="module")
def athena(athena_project: Any) -> Athena:
    return compile_athena(athena_project)


@pytest.fixture(scope="module")
def run_log() -> Iterator[list[dict[str, object]]]:
    """What each example cost, written to test-artifacts/property/last_run.json."""
    log: list[dict[str, object]] = []
    yield log
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS_DIR / "last_run.json").write_text(json.dumps(log, indent=1))


# The regression folders this `make fuzz` run saved: it goes on after a failing example.
SAVED_BY_FUZZ: list[Path] = []


def check(files: dict[str, bytes], workdir: Path, athena: Athena, how: str) -> None:
    started = time.monotonic()
    result = check_files(files, workdir, athena)
    if result.ok():
        shutil.rmtree(workdir, ignore_errors=True)
        return
    digest = hashlib.sha256(b"".join(n.encode() + d for n, d in sorted(files.items()))).hexdigest()
    if PROFILE == "fuzz" and how.startswith("generated"):
        folder = REGRESSIONS_DIR / f"fuzz-{time.strftime('%Y%m%d')}-{digest[:10]}"
    else:
        folder = ARTIFACTS_DIR / f"failed-{digest[:10]}"
    save_example(files, result, folder, how)
    if PROFILE == "fuzz" and how.startswith("generated"):
        SAVED_BY_FUZZ.append(folder)
        return
    pytest.fail(
        f"{how}: disagreements with the oracle ({time.monotonic() - started:.0f} s; files and"
        f" README in {folder}):\n{result.summary()}",
        pytrace=False,
    )


@settings(settings.get_profile(PROFILE))
@given(input_set=input_sets)
def test_both_engines_read_generated_files_as_the_oracle_does(
    input_set: InputSet,
    athena: Athena,
    tmp_path_factory: pytest.TempPathFactory,
    run_log: list[dict[str, object]],
) -> None:
    started = time.monotonic()
    files = realize(input_set)
    workdir = tmp_path_factory.mktemp("example")
    try:
        check(files, workdir, athena, f"generated example {input_set!r} (profile {PROFILE})")
    finally:
        run_log.append(
            {
                "example": repr(input_set),
                "lines": input_set.line_count(),
                "seconds": round(time.monotonic() - started, 1),
            }
        )


def test_fuzz_run_saved_no_regression() -> None:
    """After the generated examples (make fuzz goes on past a failure): none failed."""
    assert SAVED_BY_FUZZ == [], "failing examples saved as regressions:\n" + "\n".join(
        f"{folder}\n{(folder / 'README.md').read_text()}" for folder in SAVED_BY_FUZZ
    )


@pytest.mark.parametrize(
    "name", sorted(p.name for p in REGRESSIONS_DIR.iterdir() if (p / "files").is_dir())
)
def test_regression(name: str, athena: Athena, tmp_path: Path) -> None:
    """Every saved example (a found disagreement, or the hand-written corner cases) agrees."""
    check(load_example(REGRESSIONS_DIR / name), tmp_path, athena, f"regression {name}")
