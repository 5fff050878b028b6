"""Print the notices a send would publish, each with its event: a table grouped by event and
tier, NDJSON or CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import TextIO

from notifier.evaluation import evaluate_mart
from notifier.ledger import open_ledger
from notifier.lifecycle import Evaluation, Event, Notice, RepeatIntervals
from notifier.mart import MartOptions, open_mart
from notifier.messages import tier_phrase, what_to_do
from notifier.tiers import Thresholds, Tier

FIELDS = (
    "event",
    "tier",
    "facility_id",
    "facility_name",
    "state",
    "accreditation_body",
    "accreditation_id",
    "valid_until",
    "as_of_date",
    "days_until_expiry",
    "lapsed",
    "owner",
    "acknowledged_until",
    "resolution",
    "renewed_until",
)

_WRITE_EVERY = 4096


def _values(notice: Notice, as_of_date: str) -> tuple[object, ...]:
    return (
        notice.event.value,
        notice.tier.value,
        notice.facility_id,
        notice.facility_name,
        notice.state,
        notice.accreditation_body,
        notice.accreditation_id,
        notice.valid_until,
        as_of_date,
        notice.days_until_expiry,
        notice.lapsed,
        notice.owner,
        notice.acknowledged_until,
        notice.resolution.value if notice.resolution else None,
        notice.renewed_until,
    )


def _json_value(value: object) -> str:
    # encode_basestring for text, by hand for the rest: json.dumps of a dict per notice takes
    # several times longer than the query on a million alerts.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return encode_basestring(str(value))


def write_json(notices: Iterable[Notice], as_of_date: str, out: TextIO) -> int:
    count = 0
    lines: list[str] = []
    names = [encode_basestring(name) for name in FIELDS]
    for notice in notices:
        pairs = ", ".join(
            f"{name}: {_json_value(value)}"
            for name, value in zip(names, _values(notice, as_of_date), strict=True)
        )
        lines.append("{" + pairs + "}\n")
        if len(lines) == _WRITE_EVERY:
            out.write("".join(lines))
            count += len(lines)
            lines.clear()
    out.write("".join(lines))
    return count + len(lines)


def write_csv(notices: Iterable[Notice], as_of_date: str, out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    count = 0
    for notice in notices:
        writer.writerow(_values(notice, as_of_date))
        count += 1
    return count


# Fixed widths: computing them from the data would mean holding every row twice.
_HEADER = (
    f"{'facility_id':<12}  {'facility_name':<30}  {'state':<5}  {'accreditation_body':<20}  "
    f"{'accreditation_id':<16}  {'valid_until':<10}  {'days':>6}  note"
)


def _cell(value: str | None) -> str:
    if value is None:
        return ""
    # A newline or tab in a name would break the table's layout.
    return value if value.isprintable() else " ".join(value.split())


def _note(notice: Notice, as_of_date: str) -> str:
    if notice.event is Event.RESOLVED:
        return what_to_do(notice, as_of_date).split(".")[0]
    notes = ["LAPSED"] if notice.lapsed else []
    if notice.acknowledged_until is not None and notice.acknowledged_until >= as_of_date:
        notes.append(f"acknowledged until {notice.acknowledged_until}")
    if notice.owner:
        notes.append(f"owner {_cell(notice.owner)}")
    return ", ".join(notes)


def write_table(
    evaluation: Evaluation, notices: Iterable[Notice], out: TextIO, thresholds: Thresholds
) -> int:
    as_of = evaluation.as_of_date
    counts = dict.fromkeys(Event, 0)
    current: tuple[Event, Tier] | None = None
    for notice in notices:
        if (notice.event, notice.tier) != current:
            current = (notice.event, notice.tier)
            out.write(
                f"\n{notice.event.value.upper()}, {notice.tier.value}: "
                f"{tier_phrase(notice.tier, thresholds)}\n{_HEADER}\n"
            )
        counts[notice.event] += 1
        # The precision in each format spec cuts an over-long value to the column's width.
        out.write(
            f"{_cell(notice.facility_id):<12.12}  {_cell(notice.facility_name):<30.30}  "
            f"{_cell(notice.state):<5.5}  {_cell(notice.accreditation_body):<20.20}  "
            f"{_cell(notice.accreditation_id):<16.16}  {notice.valid_until:<10}  "
            f"{notice.days_until_expiry:>6}  {_note(notice, as_of)}".rstrip()
            + "\n"
        )
    total = sum(counts.values())
    per_event = ", ".join(f"{event.value} {count}" for event, count in counts.items())
    quiet = sum(evaluation.quiet.values())
    out.write(
        f"\n{total} notice{'s' * (total != 1)} as of {as_of}: {per_event}; "
        f"{quiet} due alert{'s' * (quiet != 1)} with nothing new to say today\n"
    )
    return total


@dataclass(frozen=True)
class PreviewOptions:
    mart: MartOptions
    ledger: str
    resend: bool
    output_format: str  # table, json or csv
    repeat: RepeatIntervals = field(default_factory=RepeatIntervals)


def _order(notices: list[Notice]) -> list[Notice]:
    events = {event: rank for rank, event in enumerate(Event)}
    tiers = {tier: rank for rank, tier in enumerate(Tier)}
    return sorted(notices, key=lambda n: (events[n.event], tiers[n.tier], n.urgency()))


def run_preview(options: PreviewOptions, out: TextIO) -> int:
    """Write the notices a send would publish now, each with its event; the count."""
    open_alerts = {} if options.resend else open_ledger(options.ledger).load()
    mart = open_mart(options.mart)
    evaluation = evaluate_mart(mart, open_alerts, options.repeat)
    notices = _order(evaluation.notices)
    if options.output_format == "json":
        count = write_json(notices, evaluation.as_of_date, out)
    elif options.output_format == "csv":
        count = write_csv(notices, evaluation.as_of_date, out)
    else:
        count = write_table(evaluation, notices, out, options.mart.thresholds)
    out.flush()
    return count
