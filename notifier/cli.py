"""The `notifier` command: a thin layer that turns options into calls and errors into exit codes."""

from __future__ import annotations

import functools
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml
from botocore.exceptions import NoCredentialsError

from notifier.aws import cloudwatch_client
from notifier.errors import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    BadInputError,
    NotifierError,
)
from notifier.export import parse_destination
from notifier.ledger import DEFAULT_FILE_NAME, open_ledger
from notifier.logs import report_error, setup_logging
from notifier.mart import MartOptions, open_mart
from notifier.messages import GroupBy
from notifier.pipeline import RunOptions, as_of_date, run_pipeline
from notifier.preview import write_csv, write_json, write_table
from notifier.routing import Routing, Topic
from notifier.run_report import RunReport
from notifier.send import SendOptions, run_send
from notifier.summary import put_metrics
from notifier.tiers import Thresholds, Tier

F = TypeVar("F", bound=Callable[..., Any])


def _common_options(command: F) -> F:
    options = [
        click.option(
            "--project-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=".",
            show_default=True,
            envvar="DBT_PROJECT_DIR",
            help="dbt project root (holds dbt_project.yml).",
        ),
        click.option(
            "--profiles-dir",
            type=click.Path(file_okay=False, path_type=Path),
            envvar="DBT_PROFILES_DIR",
            help="Directory of profiles.yml (default: project dir, then ~/.dbt).",
        ),
        click.option(
            "--target",
            "target",
            envvar="DBT_TARGET",
            help="dbt target (default: the profile's default target).",
        ),
        click.option(
            "--target-path",
            type=click.Path(file_okay=False, path_type=Path),
            envvar="DBT_TARGET_PATH",
            help="dbt artifacts directory, relative to the project [default: target].",
        ),
        click.option(
            "--critical-days",
            type=int,
            default=30,
            show_default=True,
            envvar="NOTIFIER_CRITICAL_DAYS",
            help="Critical: expired or <= N days.",
        ),
        click.option(
            "--high-days",
            type=int,
            default=60,
            show_default=True,
            envvar="NOTIFIER_HIGH_DAYS",
            help="High: up to N days.",
        ),
        click.option(
            "--medium-days",
            type=int,
            default=90,
            show_default=True,
            envvar="NOTIFIER_MEDIUM_DAYS",
            help="Medium: up to N days; later: no alert.",
        ),
        click.option(
            "--allow-stale",
            is_flag=True,
            help="Read the mart even if the last dbt run did not build and test it.",
        ),
        click.option(
            "--ledger",
            envvar="NOTIFIER_LEDGER",
            help=f"Ledger path or s3://BUCKET/KEY [default: PROJECT_DIR/{DEFAULT_FILE_NAME}].",
        ),
        click.option(
            "--resend", is_flag=True, help="Ignore the ledger: include alerts already sent."
        ),
        click.option(
            "--log-format",
            type=click.Choice(["text", "json"]),
            default="text",
            show_default=True,
            envvar="NOTIFIER_LOG_FORMAT",
            help="Logs on stderr.",
        ),
        click.option(
            "--log-level",
            type=click.Choice(["debug", "info", "warning", "error"]),
            default="info",
            show_default=True,
            envvar="NOTIFIER_LOG_LEVEL",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _handle_errors(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NotifierError as exc:
            report_error(str(exc), exc.exit_code)
            sys.exit(exc.exit_code)
        except NoCredentialsError as exc:
            report_error(f"no AWS credentials found: {exc}", EXIT_BAD_INPUT)
            sys.exit(EXIT_BAD_INPUT)
        except BrokenPipeError:
            # `notifier preview | head`: the reader left; that is not an error.
            sys.stderr.close()
            sys.exit(0)

    return wrapper  # type: ignore[return-value]


def _mart_options(kwargs: dict[str, Any]) -> MartOptions:
    setup_logging(kwargs["log_format"], kwargs["log_level"])
    return MartOptions(
        project_dir=kwargs["project_dir"],
        profiles_dir=kwargs["profiles_dir"],
        target=kwargs["target"],
        target_path=kwargs["target_path"],
        allow_stale=kwargs["allow_stale"],
        thresholds=Thresholds(kwargs["critical_days"], kwargs["high_days"], kwargs["medium_days"]),
    )


def _ledger_spec(kwargs: dict[str, Any]) -> str:
    return kwargs["ledger"] or str(kwargs["project_dir"] / DEFAULT_FILE_NAME)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def cli() -> None:
    """Warn before facility accreditations lapse: read the dbt mart, publish to Amazon SNS.

    Exit codes: 0 ok; 1 some alerts were not published (or another runtime failure);
    2 bad input; 3 refused because the last dbt run does not vouch for the mart.
    """


@cli.command()
@_common_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="json is NDJSON, one alert a line.",
)
@_handle_errors
def preview(output_format: str, **kwargs: Any) -> None:
    """Show the alerts a send would publish (the ledger's are left out unless --resend)."""
    options = _mart_options(kwargs)
    sent = set() if kwargs["resend"] else open_ledger(_ledger_spec(kwargs)).load()
    mart = open_mart(options)
    alerts = (alert for alert in mart.alerts if alert.key not in sent) if sent else mart.alerts
    out = sys.stdout
    if output_format == "json":
        write_json(alerts, out)
    elif output_format == "csv":
        write_csv(alerts, out)
    else:
        write_table(alerts, out, options.thresholds)
    out.flush()


def _publish_options(command: F) -> F:
    """Where and how alerts are published: shared by `send` and `run`."""
    options = [
        click.option(
            "--topic-arn",
            envvar="NOTIFIER_TOPIC_ARN",
            help="One topic for every tier; messages carry tier/state/days attributes.",
        ),
        click.option(
            "--critical-topic-arn",
            envvar="NOTIFIER_CRITICAL_TOPIC_ARN",
            help="Topic for critical alerts (overrides --topic-arn for that tier).",
        ),
        click.option(
            "--high-topic-arn", envvar="NOTIFIER_HIGH_TOPIC_ARN", help="Topic for high alerts."
        ),
        click.option(
            "--medium-topic-arn",
            envvar="NOTIFIER_MEDIUM_TOPIC_ARN",
            help="Topic for medium alerts.",
        ),
        click.option(
            "--group-by",
            type=click.Choice([g.value for g in GroupBy]),
            default="tier",
            show_default=True,
            envvar="NOTIFIER_GROUP_BY",
            help="tier: one digest per tier; facility: one message per facility and tier.",
        ),
        click.option(
            "--cloudwatch-namespace",
            envvar="NOTIFIER_CLOUDWATCH_NAMESPACE",
            help="Put the summary counts as CloudWatch metrics in this namespace.",
        ),
        click.option(
            "--max-attempts",
            type=click.IntRange(1, 20),
            default=5,
            show_default=True,
            help="Attempts per call and per failed batch entry.",
        ),
        click.option(
            "--lock-timeout",
            type=click.FloatRange(0),
            default=300,
            show_default=True,
            help="Seconds to wait for another send to release the ledger.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _send_options(kwargs: dict[str, Any], dry_run: bool) -> SendOptions:
    routing = Routing.from_options(
        kwargs["topic_arn"],
        {
            Tier.CRITICAL: kwargs["critical_topic_arn"],
            Tier.HIGH: kwargs["high_topic_arn"],
            Tier.MEDIUM: kwargs["medium_topic_arn"],
        },
    )
    return SendOptions(
        mart=_mart_options(kwargs),
        routing=routing,
        group_by=GroupBy(kwargs["group_by"]),
        ledger=_ledger_spec(kwargs),
        resend=kwargs["resend"],
        dry_run=dry_run,
        max_attempts=kwargs["max_attempts"],
        lock_timeout=kwargs["lock_timeout"],
    )


@cli.command()
@_common_options
@_publish_options
@click.option("--dry-run", is_flag=True, help="Build the messages; publish and record nothing.")
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the run summary as JSON to this file.",
)
@_handle_errors
def send(dry_run: bool, summary_json: Path | None, **kwargs: Any) -> None:
    """Publish the alerts the ledger has not recorded yet to Amazon SNS."""
    summary = run_send(_send_options(kwargs, dry_run))
    click.echo(summary.render())
    if summary_json is not None:
        summary_json.write_text(json.dumps(summary.as_json(), indent=2) + "\n", encoding="utf-8")
    namespace = kwargs["cloudwatch_namespace"]
    if namespace and not dry_run:
        put_metrics(summary, namespace, cloudwatch_client())
    if not summary.ok:
        sys.exit(EXIT_FAILED)


def _dbt_vars(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInputError(f"--vars is not YAML: {exc}") from exc
    if not isinstance(parsed, dict):
        raise BadInputError(
            f"--vars must be a YAML mapping such as '{{as_of_date: \"2025-05-15\"}}', got {text!r}"
        )
    # YAML reads an unquoted 2025-05-15 as a date; dbt gets the text either way.
    return dict(json.loads(json.dumps(parsed, default=str)))


@cli.command()
@_common_options
@_publish_options
@click.option(
    "--ops-topic-arn",
    envvar="NOTIFIER_OPS_TOPIC_ARN",
    help="Topic for the one status message per run (required).",
)
@click.option(
    "--export",
    "export_spec",
    envvar="NOTIFIER_EXPORT",
    help="Write the latest marts as CSV under run_date=YYYY-MM-DD/ in this directory "
    "or s3://BUCKET/PREFIX/.",
)
@click.option(
    "--vars",
    "dbt_vars",
    envvar="NOTIFIER_DBT_VARS",
    help="dbt vars as YAML, as for `dbt build --vars` (as_of_date defaults to today, UTC).",
)
@click.option(
    "--trigger",
    envvar="NOTIFIER_TRIGGER",
    help="What started the run (schedule, s3-arrival, ...), for the status message.",
)
@click.option(
    "--retry-count",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    envvar="NOTIFIER_RETRY_COUNT",
    help="Retries before this attempt (the orchestrator's count).",
)
@click.option(
    "--max-retries",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    envvar="NOTIFIER_MAX_RETRIES",
    help="Retries the orchestrator makes: a failure is reported to ops on the last attempt only.",
)
@_handle_errors
def run(
    ops_topic_arn: str | None,
    export_spec: str | None,
    dbt_vars: str | None,
    trigger: str | None,
    retry_count: int,
    max_retries: int,
    **kwargs: Any,
) -> None:
    """dbt build, then send, export and metrics, then one status message to the ops topic."""
    if not ops_topic_arn:
        raise BadInputError(
            "notifier run reports every run to an operations topic: give --ops-topic-arn "
            "(or NOTIFIER_OPS_TOPIC_ARN)"
        )
    options = RunOptions(
        send=_send_options(kwargs, dry_run=False),
        ops_topic=Topic.parse(ops_topic_arn, "--ops-topic-arn"),
        export=parse_destination(export_spec) if export_spec else None,
        dbt_vars=_dbt_vars(dbt_vars),
        log_format=kwargs["log_format"],
        cloudwatch_namespace=kwargs["cloudwatch_namespace"],
        trigger=trigger,
        retry_count=retry_count,
        max_retries=max_retries,
    )
    report = RunReport(
        as_of_date=as_of_date(options.dbt_vars),
        target=kwargs["target"] or "(profile default)",
        trigger=trigger,
        retry_count=retry_count,
        max_retries=max_retries,
        export_location=options.export.location if options.export else None,
    )
    # ECS stops a task with SIGTERM: it ends the run the way Ctrl-C does.
    previous_handler = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        exit_code = run_pipeline(options, report)
    except KeyboardInterrupt:
        report_error(
            f"interrupted during {report.phase.value}: "
            + (report.as_json()["not_sent"] or "alerts published so far are in the ledger")
            + "; the next run picks up from there",
            EXIT_INTERRUPTED,
        )
        sys.exit(EXIT_INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    click.echo(report.render())
    if exit_code:
        report_error(f"run {report.status}: " + "; ".join(report.problems), exit_code)
    sys.exit(exit_code)


def main() -> None:
    cli(prog_name="notifier")
