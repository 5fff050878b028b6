"""Find the mart through dbt's artifacts, check the last run vouches for it, stream its alerts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from notifier.artifacts import MartNode, freshness_problems, locate_mart
from notifier.errors import StaleArtifactsError
from notifier.profile import Target, load_target
from notifier.reader import stream_rows
from notifier.tiers import Alert, Thresholds, to_alerts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MartOptions:
    project_dir: Path
    profiles_dir: Path | None
    target: str | None
    target_path: Path | None
    allow_stale: bool
    thresholds: Thresholds


@dataclass(frozen=True)
class OpenMart:
    target: Target
    target_path: Path
    node: MartNode
    # Freshness problems that --allow-stale overrode; empty when the last run vouches for the mart.
    overridden: list[str]
    alerts: Iterator[Alert]


# The mart holds accreditations expiring within six calendar months of the as-of date, which is
# never fewer than 181 days (2025-08-31 to 2026-02-28): a longer bound cannot see further.
SHORTEST_HORIZON_DAYS = 181


def open_mart(options: MartOptions) -> OpenMart:
    resolved = load_target(options.project_dir, options.profiles_dir, options.target)
    # Like dbt, a relative --target-path is relative to the project.
    target_path = options.project_dir / (options.target_path or Path("target"))
    node = locate_mart(target_path)
    problems = freshness_problems(target_path, node, resolved.target.name, resolved.profile_default)
    if problems and not options.allow_stale:
        raise StaleArtifactsError(
            f"refusing to read {node.relation.sql}: the last dbt run does not vouch for it:\n  - "
            + "\n  - ".join(problems)
            + "\nRun `dbt build` for this target, or pass --allow-stale to read it anyway."
        )
    for problem in problems:
        log.warning(
            "ALLOW-STALE: reading a mart the last dbt run does not vouch for",
            extra={"fields": {"problem": problem}},
        )
    log.info(
        "reading mart",
        extra={
            "fields": {
                "model": node.unique_id,
                "relation": node.relation.sql,
                "target": resolved.target.name,
            }
        },
    )
    if options.thresholds.medium > SHORTEST_HORIZON_DAYS:
        log.warning(
            "the medium bound reaches past the mart's six-month horizon: accreditations expiring "
            "later than as-of + 6 months are not in the mart and get no alert",
            extra={
                "fields": {
                    "medium_days": options.thresholds.medium,
                    "horizon_days_at_least": SHORTEST_HORIZON_DAYS,
                }
            },
        )
    rows = stream_rows(resolved.target, node.relation, options.thresholds.medium)
    return OpenMart(
        resolved.target, target_path, node, problems, to_alerts(rows, options.thresholds)
    )
