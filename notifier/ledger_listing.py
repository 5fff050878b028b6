"""`notifier ledger`: the alerts the ledger follows, as a table, NDJSON or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import TextIO

from notifier.ledger import LedgerRecord, open_ledger

LISTING_FORMATS = ("table", "json", "csv")
_COLUMNS = [field.name for field in fields(LedgerRecord)]


def _table(records: list[LedgerRecord], closed: bool, out: TextIO) -> None:
    header = (
        f"{'facility_id':<12}  {'accreditation_id':<16}  {'accreditation_body':<20}  "
        f"{'valid_until':<11}  {'tier':<8}  {'last event':<10}  {'first sent':<10}  "
        f"{'last sent':<10}  note"
    )
    out.write(header + "\n")
    for record in records:
        notes = ["LAPSED"] if record.lapsed else []
        if record.acknowledged_until:
            notes.append(f"acknowledged until {record.acknowledged_until}")
        if record.owner:
            notes.append(f"owner {record.owner}")
        if record.resolution:
            notes.append(record.resolution.replace("_", " "))
        if record.renewed_until:
            notes.append(f"until {record.renewed_until}")
        out.write(
            f"{record.facility_id:<12.12}  {record.accreditation_id or '':<16.16}  "
            f"{record.accreditation_body or '':<20.20}  {record.valid_until:<11}  "
            f"{record.tier:<8}  {record.event:<10}  {record.first_sent_on:<10}  "
            f"{record.sent_on:<10}  {', '.join(notes)}".rstrip()
            + "\n"
        )
    what = "resolved alerts kept" if closed else "open alerts"
    out.write(f"\n{len(records)} {what}\n")


def write_listing(spec: str, closed: bool, output_format: str, out: TextIO) -> int:
    ledger = open_ledger(spec)
    found: Iterable[LedgerRecord] = ledger.closed_records() if closed else ledger.load().values()
    # Most urgent first: lapsed, then soonest to expire; ties by key.
    records = sorted(
        found,
        key=lambda r: (not r.lapsed, r.valid_until, r.facility_id, r.accreditation_id or ""),
    )
    if output_format == "json":
        for record in records:
            out.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
    elif output_format == "csv":
        writer = csv.DictWriter(out, _COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(asdict(record) for record in records)
    else:
        _table(records, closed, out)
    out.flush()
    return len(records)
