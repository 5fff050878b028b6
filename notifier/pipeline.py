"""`notifier run`: dbt build, then send, audit totals, export and metrics, then one ops status.

The as-of date is fixed once, before the build, and passed to dbt (as AS_OF_DATE, so a new day
does not re-parse the project): every model of the build, the alerts and the export folder share
the one date even when the run crosses midnight.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from notifier.audit import read_load_totals
from notifier.aws import error_code
from notifier.dbt_build import DbtProject, run_dbt
from notifier.errors import (
    EXIT_BUILD_FAILED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    InterruptedRun,
    NotifierError,
)
from notifier.export import Destination, export_marts
from notifier.metrics import load_metrics, put_metrics
from notifier.profile import AthenaTarget, Target, find_profiles_dir, load_target
from notifier.routing import Topic
from notifier.run_report import Phase, RunReport, publish_status
from notifier.send import SendOptions, SnsClients, check_topics, run_send

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    send: SendOptions
    ops_topic: Topic
    export: Destination | None
    dbt_vars: dict[str, Any]
    log_format: str
    trigger: str | None
    retry_count: int
    max_retries: int


def as_of_date(dbt_vars: dict[str, Any], today: dt.date | None = None) -> str:
    """The date dbt would take: the `as_of_date` var if given, else AS_OF_DATE, else today (UTC).

    dbt checks its form when it builds.
    """
    for given in (dbt_vars.get("as_of_date"), os.environ.get("AS_OF_DATE")):
        if given is not None and str(given).strip() != "":
            return str(given).strip()
    return (today or dt.datetime.now(dt.UTC).date()).isoformat()


# Every model, seed and data test, but not the unit tests: they check the SQL's logic on fixed
# inputs, so they give the same answer every day a deployed image runs, and `make test` runs
# them on every change. dbt recommends leaving them out of production builds; here that is
# 13 nodes and about 1.5 s of the 3-record sample's 7 s build.
PRODUCTION_BUILD = ["build", "--exclude-resource-type", "unit_test"]


def dbt_commands(target: Target) -> list[list[str]]:
    """The dbt commands a run invokes, in order."""
    if isinstance(target, AthenaTarget):
        # Athena reads the files through an external table; creating it is idempotent and cheap,
        # and a fresh stack needs it before its first build.
        return [["run-operation", "create_raw_facility_lines"], PRODUCTION_BUILD]
    return [PRODUCTION_BUILD]


def run_pipeline(options: RunOptions) -> RunReport:
    """Run every phase, filling the report as it goes; its exit_code says how the run ended.

    An interrupt (Ctrl-C, or SIGTERM turned into one) is reported to ops like a failure and
    raised as InterruptedRun. What was published before it is in the ledger, which records
    after every accepted batch, so the next run sends the rest and nothing twice.
    """
    started = time.monotonic()
    report = RunReport(
        as_of_date=as_of_date(options.dbt_vars),
        target=options.send.mart.target or "(profile default)",
        trigger=options.trigger,
        retry_count=options.retry_count,
        max_retries=options.max_retries,
        export_location=options.export.location if options.export else None,
    )
    clients = SnsClients(options.send.max_attempts)
    # Nothing can be reported without the ops topic: a problem with it is only an exit code.
    check_topics([options.ops_topic], clients)
    try:
        report.exit_code = _run_phases(options, report, clients)
    except KeyboardInterrupt:
        report.interrupted = True
        report.problems.append(f"{report.phase.value}: interrupted")
        report.exit_code = EXIT_INTERRUPTED
        _report(options, report, clients, started)
        raise InterruptedRun(
            f"interrupted during {report.phase.value}: "
            + (report.not_sent() or "alerts published so far are in the ledger")
            + "; the next run picks up from there"
        ) from None
    except NotifierError as exc:
        report.problems.append(f"{report.phase.value}: {exc}")
        report.exit_code = exc.exit_code
    _report(options, report, clients, started)
    if report.exit_code == 0 and report.problems:
        # The status could not be published: the run did not do all it should.
        report.exit_code = EXIT_FAILED
    return report


def _run_phases(options: RunOptions, report: RunReport, clients: SnsClients) -> int:
    mart = options.send.mart
    check_topics(options.send.layout.routing.distinct(), clients)
    if options.export is not None:
        options.export.check_writable()
    resolved = load_target(mart.project_dir, mart.profiles_dir, mart.target)
    report.target = resolved.target.name
    target_path = mart.project_dir / (mart.target_path or Path("target"))
    project = DbtProject(
        project_dir=mart.project_dir,
        profiles_dir=find_profiles_dir(mart.profiles_dir, mart.project_dir),
        target=mart.target,
        target_path=target_path,
        log_format="json" if options.log_format == "json" else "default",
    )
    report.phase = Phase.BUILD
    report.build = run_dbt(
        project, dbt_commands(resolved.target), options.dbt_vars, as_of_date=report.as_of_date
    )
    if not report.build.success:
        failed = len(report.build.failures) or len(report.build.errors)
        report.problems.append(f"build: {failed} dbt node(s) or command(s) failed")
        return EXIT_BUILD_FAILED

    exit_code = 0
    report.phase = Phase.SEND
    report.send = run_send(options.send).summary
    if not report.send.ok:
        report.problems.append(
            f"send: {len(report.send.failed_alerts)} alert(s) not published (SNS refused or failed)"
        )
        exit_code = EXIT_FAILED

    report.phase = Phase.AUDIT
    report.load = read_load_totals(resolved.target, target_path)

    if options.export is not None:
        report.phase = Phase.EXPORT
        report.exported = export_marts(
            options.export, resolved.target, target_path, report.as_of_date
        )

    namespace = options.send.cloudwatch_namespace
    if namespace:
        report.phase = Phase.METRICS
        # The send has put its own; these say what the build read.
        put_metrics(namespace, load_metrics(report.load))
    report.phase = Phase.DONE
    return exit_code


def _report(options: RunOptions, report: RunReport, clients: SnsClients, started: float) -> None:
    report.elapsed_seconds = time.monotonic() - started
    if report.status != "succeeded" and not report.final_attempt:
        log.warning(
            "run failed; not reported to ops: the orchestrator retries it",
            extra={
                "fields": {
                    "attempt": report.retry_count + 1,
                    "attempts": report.max_retries + 1,
                    "problems": "; ".join(report.problems),
                }
            },
        )
        return
    topic = options.ops_topic
    try:
        message_id = publish_status(report, topic, clients(topic.region))
    except (ClientError, BotoCoreError) as exc:
        # The run's own outcome stands; the exit code says the status did not go out.
        report.problems.append(f"status: could not publish to {topic.arn}: {error_code(exc)}")
        log.error("could not publish the run status", extra={"fields": {"error": str(exc)}})
        return
    log.info(
        "run status published",
        extra={"fields": {"topic": topic.arn, "message_id": message_id, "status": report.status}},
    )
