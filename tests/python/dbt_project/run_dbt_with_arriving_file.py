"""Run the dbt CLI with a feed file that arrives while the build lists the feed.

The race a real folder can have but a test cannot time: base_facility_records lists the files
twice when it compiles, once in the reader (which numbers them, file_order) and once to name
them again after its recency window (facility_file_names). This wrapper computes nothing in the
build's place; it only writes the file named by the environment variable ARRIVING_FILE (one
record) right after the first query that lists the feed (`glob(`), so that the next listing
sees one file more.

    ARRIVING_FILE=... python run_dbt_with_arriving_file.py <dbt arguments>

Not named dbt_*: dbt imports every top-level module of that prefix it finds on sys.path as a
plugin, and this folder is on it when a wrapper here runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.impl import DuckDBAdapter
from dbt.cli.main import dbtRunner

_execute = DuckDBAdapter.execute


def _execute_then_a_new_file(self: DuckDBAdapter, sql: str, *args: Any, **kwargs: Any) -> Any:
    result = _execute(self, sql, *args, **kwargs)
    arriving = Path(os.environ["ARRIVING_FILE"])
    if "glob(" in sql and not arriving.exists():
        arriving.write_text('{"facility_id": "LATE"}\n', encoding="utf-8")
    return result


if __name__ == "__main__":
    DuckDBAdapter.execute = _execute_then_a_new_file  # type: ignore[method-assign]
    sys.exit(0 if dbtRunner().invoke(sys.argv[1:]).success else 1)
