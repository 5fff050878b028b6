"""Input sets for the property test: files of NDJSON lines, realistic records and their defects.

Hypothesis chooses the structure (which files, their names, compression, line ends, BOM, how
many lines and which kind each line is, plus one seed per line); `realize()` turns that into
bytes deterministically, so an example is a few hundred choices, not one per character. The
generator never predicts an outcome: the oracle decides what every line must give.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from dataclasses import dataclass
from typing import Any

# Names whose byte order differs from a locale's ('B' < 'Z' < '_' < 'a' < 'é').
FILE_NAMES = ["a.ndjson", "B.ndjson", "_x.ndjson", "é.ndjson", "Z.ndjson", "a b.ndjson"]
# White space of every kind but the line ends (which cut lines): TRIM and JSON white space.
INLINE_WHITE_SPACE = (
    " \t\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000"
    "\u200b\ufeff"
)
JSON_WHITE_SPACE = " \t"
STATES = ["TX", "CA", "NY", "FL", "DC", "PR", "WA"]
STATE_NAMES = ["Texas", "new york", "NEW YORK", "District of Columbia", "u.s. virgin islands"]
BODIES = ["Joint Commission", "NCQA", "CARF", "DNV", "AAAHC"]
SERVICES = ["Emergency Care", "Maternity", "Surgery", "Radiology", "Laboratory", "Pharmacy"]
INVALID_BYTES = [
    b"\xff",
    b"\x80",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xf4\x90\x80\x80",
]
VALID_UNTIL_ACCEPTED = [
    "{d}",
    " {d}",
    "{d}\u3000\u200b",
    "\t{d} ",
    "{d}T00:00:00Z",
    "{d}t12:30:45z",
    "{d}T23:59:60.5+14:00",
    "{d}T01:02:03-05:00",
    "{d}T23:59:59.123456789-23:59",
    "2024-02-29",
    "0001-01-01",
    "9999-12-31",
]
VALID_UNTIL_REJECTED = [
    "0000-01-01",
    "2025-02-29",
    "2023-02-29",
    "2025-13-01",
    "2025-04-31",
    "2025-00-10",
    "12/31/2026",
    "31.12.2026",
    "2026-1-5",
    "20260105",
    "+2026-01-05",
    "\uff12\uff10\uff12\uff16-01-05",
    "{d}T10:20:30",
    "{d} 10:20:30Z",
    "{d}T24:00:00Z",
    "{d}T10:60:00Z",
    "{d}T10:20:30.Z",
    "{d}T10:20:30+0500",
    "{d}T10:20Z",
    " {d}T10:20:30Z",
    "{d}x",
    "",
    "null",
]

# Line kinds, weighted by repetition (hypothesis' sampled_from is uniform): most lines are
# records with field-level defects, the rest line- and JSON-level defects.
KINDS = (
    ["record"] * 24
    + ["duplicate_id"] * 6
    + ["blank"] * 2
    + [
        "bom_inside",
        "lone_cr",
        "invalid_utf8",
        "literal_fffd",
        "trailing_junk",
        "trailing_white_space",
        "truncated",
        "not_an_object",
        "control_character",
        "trailing_comma",
        "nan",
        "duplicate_key",
        "lone_surrogate",
        "escapes",
        "bad_number",
        "long_line",
        "free_text",
    ]
)


class Obj(list[tuple[str, Any]]):
    """A JSON object as written: member pairs in order, duplicates allowed."""


@dataclass(frozen=True)
class FileRecipe:
    name: str
    gzip: bool
    bom: bool
    line_end: str  # "lf", "crlf", "cr" or "mixed"
    final_line_end: bool
    lines: tuple[tuple[str, int], ...]  # (kind, seed)


@dataclass(frozen=True)
class InputSet:
    """What hypothesis draws; realize() gives the files. Its repr stays short."""

    files: tuple[FileRecipe, ...]

    def __repr__(self) -> str:
        lines = sum(len(f.lines) for f in self.files)
        return f"InputSet({len(self.files)} files, {lines} lines, {self.digest()})"

    def digest(self) -> str:
        return hashlib.sha256(repr(self.files).encode()).hexdigest()[:12]

    def line_count(self) -> int:
        return sum(len(f.lines) for f in self.files)


def dump(value: Any, rng: random.Random | None = None) -> str:
    """JSON text of `value` (Obj for objects), with white space and escapes varied by `rng`."""

    def space() -> str:
        return rng.choice(["", "", " ", "\t", "  "]) if rng else ""

    if isinstance(value, Obj):
        members = [f"{dump(k, rng)}{space()}:{space()}{dump(v, rng)}" for k, v in value]
        return "{" + space() + ("," + space()).join(members) + space() + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v, rng) for v in value) + "]"
    if isinstance(value, Raw):
        return value.text
    return json.dumps(value, ensure_ascii=bool(rng and rng.random() < 0.3))


class Raw:
    """JSON text written as is (a number's exact spelling, or a deliberate defect)."""

    def __init__(self, text: str) -> None:
        self.text = text


def pad(rng: random.Random, text: str) -> str:
    def some() -> str:
        return "".join(rng.choice(INLINE_WHITE_SPACE) for _ in range(rng.randint(1, 3)))

    return some() + text + some()


def facility_id(rng: random.Random, pool: list[str]) -> Any:
    roll = rng.random()
    base = rng.choice(pool) if roll < 0.5 else f"FAC{rng.randint(0, 10**9):09d}"
    if roll < 0.7:
        return base
    return rng.choice(
        [
            pad(rng, base),
            base + "\u00a0",
            "\u200b" + base,
            base[:3] + " " + base[3:],  # inner white space is part of the id
            "",
            pad(rng, ""),
            Raw("12345"),
            None,
            Raw("[]"),
            "fac-é-" + base,
        ]
    )


def state(rng: random.Random) -> Any:
    return rng.choice(
        [
            rng.choice(STATES),
            rng.choice(STATES).lower(),
            pad(rng, rng.choice(STATES)),
            rng.choice(STATE_NAMES),
            pad(rng, rng.choice(STATE_NAMES)),
            "",
            pad(rng, ""),
            "Tex",
            "é",
            Raw("48"),
            None,
        ]
    )


def employee_count(rng: random.Random) -> Raw:
    return Raw(
        rng.choice(
            [
                str(rng.randint(1, 5000)),
                str(rng.randint(1, 5000)),
                "0",
                "-0",
                "-12",
                "250.5",
                "250.0",
                "2e2",
                "1E+3",
                '"250"',
                "true",
                "null",
                "9223372036854775807",
                "9223372036854775808",
                "-9223372036854775808",
                "18446744073709551616",
            ]
        )
    )


def a_date(rng: random.Random) -> str:
    return f"{rng.randint(2020, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def accreditation_entry(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.08:
        return rng.choice([None, "JC1001", Raw("7"), [], True])
    forms = VALID_UNTIL_ACCEPTED if roll < 0.75 else VALID_UNTIL_REJECTED
    written = rng.choice(forms).format(d=a_date(rng))
    until: Any = None if written == "null" else written
    entry = Obj()
    if rng.random() < 0.9:
        entry.append(("accreditation_body", rng.choice([*BODIES, *BODIES, Raw("5"), None])))
    if rng.random() < 0.9:
        entry.append(
            (
                "accreditation_id",
                rng.choice(
                    [
                        f"ID{rng.randint(1, 9999)}",
                        f"ID{rng.randint(1, 9999)}",
                        Raw(str(rng.randint(1, 99999))),
                        Raw("false"),
                        None,
                    ]
                ),
            )
        )
    if rng.random() < 0.05:
        until = Raw(rng.choice(["20260105", "null", "[]"]))
    if rng.random() < 0.95:
        entry.append(("valid_until", until))
    rng.shuffle(entry)
    return entry


def accreditations(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.8:
        return [accreditation_entry(rng) for _ in range(rng.randint(0, 4))]
    return rng.choice(
        [None, Obj([("valid_until", "2026-01-01")]), "JC1001", Raw("3"), Raw("true"), Raw("false")]
    )


def services(rng: random.Random) -> Any:
    if rng.random() < 0.85:
        chosen = rng.sample(SERVICES, rng.randint(0, len(SERVICES)))
        if rng.random() < 0.2:
            chosen += [Raw("1"), None, ["x"], Obj([("a", "b")])]
        rng.shuffle(chosen)
        return chosen
    return rng.choice([None, "Surgery", Obj()])


def facility_record(rng: random.Random, pool: list[str]) -> Obj:
    """A realistic record, each field sometimes odd, missing or of another type."""
    record = Obj()
    if rng.random() < 0.95:
        record.append(("facility_id", facility_id(rng, pool)))
    record.append(
        ("facility_name", rng.choice(["City Hospital", "Clínica Ñandú", "Lab \U0001f52c"]))
    )
    location_roll = rng.random()
    if location_roll < 0.85:
        location = Obj([("city", "Metropolis")])
        if rng.random() < 0.95:
            location.append(("state", state(rng)))
        record.append(("location", location))
    elif location_roll < 0.92:
        record.append(("location", rng.choice([None, "TX", ["TX"]])))
    if rng.random() < 0.9:
        record.append(("employee_count", employee_count(rng)))
    if rng.random() < 0.9:
        record.append(("services", services(rng)))
    if rng.random() < 0.5:
        record.append(("labs", [Obj([("lab_name", "Hematology"), ("certifications", ["CLIA"])])]))
    if rng.random() < 0.9:
        record.append(("accreditations", accreditations(rng)))
    rng.shuffle(record)
    return record


def insert(rng: random.Random, text: str, piece: str) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + piece + text[at:]


def inside_a_string(rng: random.Random, text: str, piece: str) -> str:
    """`piece` put just after an opening quote of some string in the JSON text."""
    quotes = [i for i, c in enumerate(text) if c == '"']
    at = rng.choice(quotes[::2]) + 1 if quotes else 0
    return text[:at] + piece + text[at:]


def line_bytes(kind: str, seed: int, pool: list[str]) -> bytes:
    """One line (without its terminator) of the given kind."""
    rng = random.Random(seed)
    record = facility_record(rng, pool)
    if kind == "duplicate_id":
        record = Obj([(k, v) for k, v in record if k != "facility_id"])
        record.insert(0, ("facility_id", rng.choice([*pool, pad(rng, rng.choice(pool))])))
    text = dump(record, rng)
    if kind in ("record", "duplicate_id"):
        pass
    elif kind == "blank":
        text = "".join(rng.choice(INLINE_WHITE_SPACE) for _ in range(rng.randint(0, 4)))
    elif kind == "bom_inside":
        text = rng.choice([lambda: "\ufeff" + text, lambda: inside_a_string(rng, text, "\ufeff")])()
    elif kind == "lone_cr":
        text = insert(rng, text, "\r")
    elif kind == "invalid_utf8":
        raw = text.encode()
        at = rng.randint(0, len(raw))
        return raw[:at] + rng.choice(INVALID_BYTES) + raw[at:]
    elif kind == "literal_fffd":
        text = inside_a_string(rng, text, "\ufffd")
    elif kind == "trailing_junk":
        text += rng.choice([" x", ",", "}", "{}", " // comment", "\x00", '"'])
    elif kind == "trailing_white_space":
        lead = rng.choice([" ", "\t", " \t", "\xa0", "\u3000", "\x0c"])
        text = lead + text + rng.choice([" \t", "\x0c", "\xa0", "\u3000", "\u200b", " "])
    elif kind == "truncated":
        text = text[: rng.randint(1, max(1, len(text) - 1))]
    elif kind == "not_an_object":
        text = rng.choice(
            [
                "[" + text + "]",
                '"FAC1"',
                "42",
                "-1.5e3",
                "true",
                "null",
                "[]",
                '[{"facility_id": "F"}]',
            ]
        )
    elif kind == "control_character":
        control = rng.choice(["\x01", "\x00", "\x1f", "\t", "\x08", "\x7f", "\x85", "\x1b"])
        text = inside_a_string(rng, text, control)
    elif kind == "trailing_comma":
        text = text[:-1] + ",}" if text.endswith("}") else text + ","
    elif kind == "nan":
        constant = rng.choice(["NaN", "Infinity", "-Infinity", "nan", "undefined"])
        others = [(k, v) for k, v in record if k != "employee_count"]
        text = dump(Obj([*others, ("employee_count", Raw(constant))]), rng)
    elif kind == "duplicate_key":
        text = duplicate_key(rng, record)
    elif kind == "lone_surrogate":
        escape = rng.choice(
            ["\\ud800", "\\udfff", "\\ude00\\ud83d", "\\ud83d\\u0041", "\\ud83d\\ude00"]
        )
        text = inside_a_string(rng, text, escape)
    elif kind == "escapes":
        text = inside_a_string(
            rng, text, rng.choice(["\\u0041", "\\/", "\\u0000", "\\x41", "\\u12", "\\U0041", "\\'"])
        )
    elif kind == "bad_number":
        number = rng.choice(
            ["01", "+1", ".5", "1.", "1e", "0x10", "1_000", "--1", "1.5e400", "-0.0"]
        )
        text = dump(Obj([*record, ("extra_number", Raw(number))]), rng)
    elif kind == "long_line":
        filler = rng.choice(["é", "x", "\U0001f52c", "ab"]) * rng.randint(600, 1500)
        text = dump(Obj([*record, ("notes", filler)]), rng)
        if rng.random() < 0.5:
            text = text[:-1]  # rejected, so raw_line is cut to 1,000 characters
    elif kind == "free_text":
        text = rng.choice(
            ["not json", "facility_id: FAC1", "{'facility_id': 'F'}", "{facility_id: 1}"]
        )
    else:
        raise ValueError(kind)
    return text.encode("utf-8")


def duplicate_key(rng: random.Random, record: Obj) -> str:
    where = rng.choice(["top", "location", "entry", "labs", "escaped"])
    if where == "top":
        name, value = rng.choice(record) if record else ("facility_id", "F")
        record.append((name, value))
    elif where == "escaped":
        record.append(("facility_\\u0069d", "FACX"))
        return dump(record, rng).replace('"facility_\\\\u0069d"', '"facility_\\u0069d"')
    elif where == "location":
        record.append(("location", Obj([("state", "TX"), ("city", "x"), ("state", "CA")])))
        record = Obj([(k, v) for k, v in record if k != "location"] + [record[-1]])
    elif where == "entry":
        entry = Obj(
            [
                ("valid_until", "2026-01-01"),
                ("accreditation_id", "A"),
                ("valid_until", "2026-02-01"),
            ]
        )
        record = Obj([(k, v) for k, v in record if k != "accreditations"])
        record.append(("accreditations", [accreditation_entry(rng), entry]))
    else:
        record.append(("labs", [Obj([("lab_name", "a"), ("lab_name", "b")])]))
        record = Obj([(k, v) for k, v in record if k != "labs"] + [record[-1]])
    return dump(record, rng)


def realize(input_set: InputSet) -> dict[str, bytes]:
    """The files of an input set: name -> bytes as stored."""
    pool = [f"FAC{n:05d}" for n in range(40)]
    files = {}
    for recipe in input_set.files:
        rng = random.Random(recipe.name)
        ends = {"lf": [b"\n"], "crlf": [b"\r\n"], "cr": [b"\r"], "mixed": [b"\n", b"\r\n", b"\r"]}
        lines = [line_bytes(kind, seed, pool) for kind, seed in recipe.lines]
        data = b"".join(line + rng.choice(ends[recipe.line_end]) for line in lines)
        if not recipe.final_line_end and data:
            data = data[: -2 if data.endswith(b"\r\n") else -1]
        if recipe.bom:
            data = b"\xef\xbb\xbf" + data
        name = recipe.name + (".gz" if recipe.gzip else "")
        files[name] = gzip.compress(data, mtime=0) if recipe.gzip else data
    return files
