"""Run the dbt CLI with a Jinja clock that moves a day forward each time it is read.

The worst case of a build that runs past midnight UTC: every read of the clock that dbt gives
Jinja as `modules.datetime` (`datetime.utcnow()`, `datetime.now()`, `datetime.today()`,
`date.today()`) returns a later day than the read before. dbt's own clock (`run_started_at`,
timings, artifacts) is left alone. A macro that takes "today" from that clock at each use gives
different models different dates here; one that takes it once from `run_started_at` does not.

After the run, dbt's `run_started_at` is written (ISO 8601) to the file named by the
environment variable RUN_STARTED_AT_FILE, when it is set.

    python dbt_with_moving_clock.py <dbt arguments>
"""

from __future__ import annotations

import datetime
import itertools
import os
import sys
from pathlib import Path
from typing import Any

import dbt.context.base
import dbt.tracking
from dbt.cli.main import dbtRunner

_readings = itertools.count(1)


def _later() -> datetime.timedelta:
    return datetime.timedelta(days=next(_readings))


class MovingDateTime(datetime.datetime):
    @classmethod
    def utcnow(cls) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + _later()

    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> datetime.datetime:
        return datetime.datetime.now(tz) + _later()

    @classmethod
    def today(cls) -> datetime.datetime:
        return datetime.datetime.today() + _later()


class MovingDate(datetime.date):
    @classmethod
    def today(cls) -> datetime.date:
        return datetime.date.today() + _later()


_real_datetime_module_context = dbt.context.base.get_datetime_module_context


def _moving_datetime_module_context() -> dict[str, Any]:
    context = _real_datetime_module_context()
    context.update(datetime=MovingDateTime, date=MovingDate)
    return context


dbt.context.base.get_datetime_module_context = _moving_datetime_module_context

if __name__ == "__main__":
    result = dbtRunner().invoke(sys.argv[1:])
    started = dbt.tracking.active_user.run_started_at if dbt.tracking.active_user else None
    if os.environ.get("RUN_STARTED_AT_FILE") and started is not None:
        Path(os.environ["RUN_STARTED_AT_FILE"]).write_text(started.isoformat())
    sys.exit(0 if result.success else 1)
