"""The reading rules of issue 14, in plain Python: the reference the SQL is compared with.

`read_files({name: bytes})` gives what both dbt targets must give for those files: the kept
facilities, the rejected records, the rejected accreditation entries and the valid ones. It is
written from the spec (docs/contract.md, "Reading rules"), not from the SQL; where the spec
leaves a case open, the choice made here is named (`Choice:`).
"""

from __future__ import annotations

import csv
import datetime
import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]

# TRIM: Python's str.isspace(), plus the zero-width space and the BOM (blank lines, ids, states).
TRIM = "".join(sorted({chr(c) for c in range(0x110000) if chr(c).isspace()} | {"\u200b", "\ufeff"}))
JSON_WHITE_SPACE = " \t\n\r"
MAX_LINE_BYTES = 16 * 1024 * 1024  # F6: 16 MiB of UTF-8, the line terminator excluded
RAW_LINE_CHARS = 1000  # raw_line is cut to this many characters (code points)
BOM = "\ufeff"
# F3: LF, CRLF and a lone CR each end a line (Hadoop's LineReader).
LINE_END = re.compile(rb"\r\n|\r|\n")
DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))"
)

# Choice (F2 allows it): a line holding U+FFFD once decoded is `invalid_encoding`, even when the
# U+FFFD was written as valid UTF-8 bytes: Athena's reader cannot tell the two apart.
FFFD_IS_INVALID_ENCODING = True


@dataclass(frozen=True)
class Facility:
    facility_id: str
    source_file: str
    line_number: int
    state: str | None
    employee_count: int | None
    number_of_offered_services: int


@dataclass(frozen=True)
class RejectedRecord:
    source_file: str
    line_number: int
    reason: str
    raw_line: str


@dataclass(frozen=True)
class RejectedEntry:
    facility_id: str
    position: int
    reason: str


@dataclass(frozen=True)
class Entry:
    facility_id: str
    position: int
    accreditation_body: str | None
    accreditation_id: str | None
    valid_until: str  # ISO date


@dataclass
class Reading:
    facilities: list[Facility] = field(default_factory=list)
    rejected_records: list[RejectedRecord] = field(default_factory=list)
    rejected_entries: list[RejectedEntry] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    non_blank_lines: Counter[str] = field(default_factory=Counter)


def usps_names() -> dict[str, str]:
    """Upper-cased full name -> code, from seeds/usps_state_codes.csv."""
    with (REPO_ROOT / "seeds" / "usps_state_codes.csv").open(encoding="utf-8") as handle:
        return {upper(row["state_name"]): row["state_code"] for row in csv.DictReader(handle)}


def upper(text: str) -> str:
    """Upper case one code point at a time. Choice: 'ß' stays 'ß' (SQL's upper(), not 'SS')."""
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in text)


def physical_lines(name: str, data: bytes) -> list[bytes]:
    """F1, F3, F4: the file's lines, gunzipped by name, without terminators or the file's BOM."""
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    if data.startswith(BOM.encode()):
        data = data[len(BOM.encode()) :]
    lines = LINE_END.split(data)
    if lines[-1] == b"":  # text after the last terminator is a line; nothing after it is not
        lines.pop()
    return lines


class JsonObject(dict[str, Any]):
    """A parsed JSON object that remembers whether a member name occurred twice."""

    has_duplicate_key = False


class JsonInteger(int):
    """A JSON number written without fraction or exponent, with the text as written."""

    text: str


class JsonFraction(float):
    """A JSON number written with a fraction or an exponent, with the text as written."""

    text: str


def _object(pairs: list[tuple[str, Any]]) -> JsonObject:
    result = JsonObject(pairs)
    result.has_duplicate_key = len(result) != len(pairs)
    return result


def _integer(text: str) -> JsonInteger:
    value = JsonInteger(text)
    value.text = text
    return value


def _fraction(text: str) -> JsonFraction:
    value = JsonFraction(text)
    value.text = text
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _has_lone_surrogate(value: Any) -> bool:
    # Valid UTF-8 never decodes to a surrogate and Python joins an escaped pair into one code
    # point, so a surrogate left in a parsed string is a lone one (J2).
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def parse_json(text: str) -> tuple[bool, Any]:
    """J1, J2: (True, value) when the text is exactly one strict RFC 8259 / I-JSON value.

    Python's json already refuses trailing commas, single quotes, comments, unquoted keys,
    leading zeros, '+1', '.5', bad escapes, raw control characters in strings (strict=True) and
    anything after the value, and skips only the four JSON white-space characters around it.
    It accepts NaN/Infinity (refused here) and lone surrogate escapes (refused here).
    """
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=_integer,
            parse_float=_fraction,
            parse_constant=_refuse_constant,
            strict=True,
        )
    except ValueError:  # RecursionError (nesting deeper than Python's stack) is not caught
        return False, None
    if _has_lone_surrogate(value):
        return False, None
    return True, value


def trim(text: str) -> str:
    return text.strip(TRIM)


def valid_until(value: Any) -> str | None:
    """The ISO date of an accepted valid_until, else None."""
    if not isinstance(value, str):
        return None
    # White space around either form is unambiguous, so it is trimmed (as for ids and states).
    match = DATE.fullmatch(trim(value)) or DATE_TIME.fullmatch(trim(value))
    if match is None:
        return None
    year, month, day, *clock = (int(part or 0) for part in match.groups())
    # RFC 3339: hour 00-23, minute 00-59, second 00-60 (a leap second), offset hour and minute.
    if clock and any(part > limit for part, limit in zip(clock, (23, 59, 60, 23, 59), strict=True)):
        return None
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:  # year 0000, 2025-02-29, month 13, ...
        return None


def text_of_id(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, JsonInteger | JsonFraction):
        return value.text  # Choice: a number's text as written (1.50 stays 1.50)
    return None


def _reject_reason(value: Any) -> str | None:
    """J4 after JSON parsing: not_an_object, duplicate_key, missing_facility_id."""
    if not isinstance(value, dict):
        return "not_an_object"
    location = value.get("location")
    if value.has_duplicate_key or (isinstance(location, dict) and location.has_duplicate_key):
        return "duplicate_key"
    facility_id = value.get("facility_id")
    if not isinstance(facility_id, str) or trim(facility_id) == "":
        return "missing_facility_id"
    return None


def _facility(record: JsonObject, source_file: str, line_number: int) -> Facility:
    location = record.get("location")
    state_text = location.get("state") if isinstance(location, dict) else None
    state = upper(trim(state_text)) if isinstance(state_text, str) else ""
    state = USPS_NAMES.get(state, state) or None
    count = record.get("employee_count")
    services = record.get("services")
    return Facility(
        facility_id=trim(record["facility_id"]),
        source_file=source_file,
        line_number=line_number,
        state=state,
        employee_count=(
            count if isinstance(count, JsonInteger) and -(2**63) <= count < 2**63 else None
        ),
        number_of_offered_services=(
            sum(isinstance(s, str) for s in services) if isinstance(services, list) else 0
        ),
    )


def _accreditations(facility_id: str, record: JsonObject, reading: Reading) -> None:
    accreditations = record.get("accreditations")
    if accreditations is None:
        return
    if not isinstance(accreditations, list):
        reading.rejected_entries.append(RejectedEntry(facility_id, 0, "not_an_array"))
        return
    for position, entry in enumerate(accreditations, start=1):
        if not isinstance(entry, dict):
            reason: str | None = "not_an_object"
        elif entry.has_duplicate_key:
            reason = "duplicate_key"
        elif valid_until(entry.get("valid_until")) is None:
            reason = "invalid_valid_until"
        else:
            reason = None
        if reason is not None:
            reading.rejected_entries.append(RejectedEntry(facility_id, position, reason))
            continue
        body = entry.get("accreditation_body")
        reading.entries.append(
            Entry(
                facility_id=facility_id,
                position=position,
                accreditation_body=body if isinstance(body, str) else None,
                accreditation_id=text_of_id(entry.get("accreditation_id")),
                valid_until=valid_until(entry["valid_until"]),  # type: ignore[arg-type]
            )
        )


def read_files(files: dict[str, bytes]) -> Reading:
    """What the project must make of these files (name -> content as stored)."""
    reading = Reading()
    candidates: dict[str, list[tuple[str, int, str, JsonObject]]] = {}
    for name in sorted(files):  # "later" is by path: Python compares code points, as SQL does
        for line_number, raw in enumerate(physical_lines(name, files[name]), start=1):
            text = raw.decode("utf-8", errors="replace")
            if len(raw) <= MAX_LINE_BYTES and trim(text) == "":
                continue  # F7: blank, not counted. Choice: a too-long line is never blank.
            reading.non_blank_lines[name] += 1
            reason = None
            if len(raw) > MAX_LINE_BYTES:
                reason = "line_too_long"
            elif not _is_utf8(raw) or (FFFD_IS_INVALID_ENCODING and "\ufffd" in text):
                reason = "invalid_encoding"
            else:
                ok, value = parse_json(text)
                reason = _reject_reason(value) if ok else "invalid_json"
            if reason is not None:
                reading.rejected_records.append(
                    RejectedRecord(name, line_number, reason, text[:RAW_LINE_CHARS])
                )
                continue
            facility_id = trim(value["facility_id"])
            candidates.setdefault(facility_id, []).append((name, line_number, text, value))
    for facility_id, records in candidates.items():
        *superseded, (name, line_number, _, record) = sorted(records, key=lambda r: r[:2])
        for old_name, old_line, old_text, _ in superseded:
            reading.rejected_records.append(
                RejectedRecord(
                    old_name, old_line, "duplicate_superseded", old_text[:RAW_LINE_CHARS]
                )
            )
        reading.facilities.append(_facility(record, name, line_number))
        _accreditations(facility_id, record, reading)
    return reading


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


USPS_NAMES = usps_names()
