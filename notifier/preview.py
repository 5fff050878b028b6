"""Print alerts as a table grouped by tier, NDJSON or CSV, streaming with bounded memory.

The writers format lines by hand: on a million alerts, json.dumps of a dict per alert takes
several times longer than the query and everything else together.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import TextIO

from notifier.ledger import open_ledger
from notifier.mart import MartOptions, open_mart
from notifier.messages import tier_phrase
from notifier.tiers import Alert, Thresholds, Tier

FIELDS = (*Alert._fields, "lapsed")


_NULL = "null"
_WRITE_EVERY = 4096


def write_json(alerts: Iterable[Alert], out: TextIO) -> int:
    # encode_basestring inlined and lines written in blocks: this loop runs once per alert, and a
    # helper call per field plus a write per line were a quarter of the preview's time on 1M alerts.
    text = encode_basestring
    count = 0
    lines: list[str] = []
    for alert in alerts:
        facility_id, name, state, body, accreditation_id = alert[:5]
        lines.append(
            f'{{"facility_id": {_NULL if facility_id is None else text(facility_id)}, '
            f'"facility_name": {_NULL if name is None else text(name)}, '
            f'"state": {_NULL if state is None else text(state)}, '
            f'"accreditation_body": {_NULL if body is None else text(body)}, '
            f'"accreditation_id": {_NULL if accreditation_id is None else text(accreditation_id)}, '
            f'"valid_until": "{alert[5]}", "as_of_date": "{alert[6]}", '
            f'"days_until_expiry": {alert[7]}, "tier": "{alert[8]}", '
            f'"lapsed": {"true" if alert[7] < 0 else "false"}}}\n'
        )
        if len(lines) == _WRITE_EVERY:
            out.write("".join(lines))
            count += len(lines)
            lines.clear()
    out.write("".join(lines))
    return count + len(lines)


def write_csv(alerts: Iterable[Alert], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    count = 0
    for alert in alerts:
        writer.writerow((*alert, alert[7] < 0))
        count += 1
    return count


# Fixed widths: computing them from the data would mean holding every row.
_HEADER = (
    f"{'facility_id':<12}  {'facility_name':<30}  {'state':<5}  {'accreditation_body':<20}  "
    f"{'accreditation_id':<16}  {'valid_until':<10}  {'days':>6}"
)


def _cell(value: str | None) -> str:
    if value is None:
        return ""
    # A newline or tab in a name would break the table's layout.
    return value if value.isprintable() else " ".join(value.split())


def write_table(alerts: Iterable[Alert], out: TextIO, thresholds: Thresholds) -> int:
    counts = dict.fromkeys(Tier, 0)
    current: Tier | None = None
    for alert in alerts:
        if alert.tier is not current:
            current = alert.tier
            out.write(f"\n{current.value.upper()}: {tier_phrase(current, thresholds)}\n")
            out.write(_HEADER + "\n")
        counts[current] += 1
        # The precision in each format spec cuts an over-long value to the column's width.
        out.write(
            f"{_cell(alert[0]):<12.12}  {_cell(alert[1]):<30.30}  {_cell(alert[2]):<5.5}  "
            f"{_cell(alert[3]):<20.20}  {_cell(alert[4]):<16.16}  {alert[5]:<10}  "
            f"{alert[7]:>6}{'  LAPSED' if alert[7] < 0 else ''}\n"
        )
    total = sum(counts.values())
    per_tier = ", ".join(f"{tier.value} {count}" for tier, count in counts.items())
    out.write(f"\n{total} alert{'s' * (total != 1)}: {per_tier}\n")
    return total


@dataclass(frozen=True)
class PreviewOptions:
    mart: MartOptions
    ledger: str
    resend: bool
    output_format: str  # table, json or csv


def run_preview(options: PreviewOptions, out: TextIO) -> int:
    """Write the alerts a send would publish (the ledger's left out unless resend); the count."""
    sent = set() if options.resend else open_ledger(options.ledger).load()
    mart = open_mart(options.mart)
    alerts = (alert for alert in mart.alerts if alert.key not in sent) if sent else mart.alerts
    if options.output_format == "json":
        count = write_json(alerts, out)
    elif options.output_format == "csv":
        count = write_csv(alerts, out)
    else:
        count = write_table(alerts, out, options.mart.thresholds)
    out.flush()
    return count
