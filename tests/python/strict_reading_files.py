"""The strict-reading fixture files (docs/contract.md, "Reading rules"), written byte by byte.

One set of files covers every reading rule; `write_files` writes them (at test time: one holds
lines of 15 MiB, 16 MiB and 16 MiB + 1 byte) and returns what each physical line must give:
the reason it is rejected with, ("kept", facility_id), or None for a blank line (no row).
dbt_project/test_strict_reading.py builds them with dbt and runs the Athena SQL over them.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

MIB = 1024 * 1024
BOM = "\ufeff"


def _record(facility_id: str, **members: object) -> str:
    return json.dumps({"facility_id": facility_id, **members}, ensure_ascii=False)


ENTRY = {"accreditation_body": "NCQA", "accreditation_id": "N", "valid_until": "2026-02-01"}

# (line text, expected): expected is a reason, ("kept", facility_id), or None for a blank line.
JSON_LINES: list[tuple[str, object]] = [
    (BOM + _record("S01", accreditations=[ENTRY]), ("kept", "S01")),  # BOM at file start: ignored
    ('{"facility_id": "S02",}', "invalid_json"),  # trailing comma
    (BOM + _record("S03"), "invalid_json"),  # BOM at the start of line 3
    ('{"facility_id": "S04", "n": NaN}', "invalid_json"),
    ('{"facility_id": "S05", "n": Infinity}', "invalid_json"),
    ('{"facility_id": "S06"} x', "invalid_json"),  # trailing junk
    ("{'facility_id': 'S07'}", "invalid_json"),  # single quotes
    ('{"facility_id": "S08", "n": 01}', "invalid_json"),  # leading zero
    ('{"facility_id": "S\x0109"}', "invalid_json"),  # raw control character in a string
    ('{"facility_id": "S10\\x"}', "invalid_json"),  # invalid escape
    ('{"facility_id": "S11", "x": "\\ud800"}', "invalid_json"),  # lone high surrogate
    ('{"facility_id": "S12", "x": "\\udc00"}', "invalid_json"),  # lone low surrogate
    ('{"facility_id": "S13", "x": "\\ud83d\\ude00"}', ("kept", "S13")),  # a valid pair
    ('{"facility_id": "S14", "facility_id": "S14b"}', "duplicate_key"),  # top level
    ('{"facility_id": "S15", "location": {"state": "TX", "state": "CA"}}', "duplicate_key"),
    (
        # A repeated name in an accreditation entry rejects the entry, not the record.
        '{"facility_id": "S16", "accreditations": [{"accreditation_body": "JC",'
        ' "accreditation_body": "X", "accreditation_id": "B", "valid_until": "2026-01-01"}, '
        + json.dumps(ENTRY)
        + "]}",
        ("kept", "S16"),
    ),
    ('{"facility_id": "S17"}\x01junk', "invalid_json"),  # raw_line keeps the whole line
    ("\u00a0\u3000 \u2028\u200b\t", None),  # Unicode white space only: blank
    (_record("P1", facility_name="plain"), "duplicate_superseded"),
    (_record("\u00a0P1\u3000", facility_name="padded"), ("kept", "P1")),  # NBSP, U+3000
    (_record("P2", facility_name="plain"), "duplicate_superseded"),
    ('{"facility_id": "\\u200bP2\\u2028", "facility_name": "padded"}', ("kept", "P2")),
    (_record("S23", accreditations={"accreditation_body": "JC"}), ("kept", "S23")),  # object
    (_record("S24", accreditations="JC until 2026"), ("kept", "S24")),  # a string
    (_record("S25", location={"state": "\u00a0tx\u3000"}), ("kept", "S25")),  # state trimmed
    (_record("\u3000\u200b"), "missing_facility_id"),  # empty once trimmed
    ('{"facility_id": "S27", "n": 1.5e3, "m": -0, "o": [], "p": {}}', ("kept", "S27")),
    ('[{"facility_id": "S28"}]', "not_an_object"),
    ('{"facility_id": "S29"} {"facility_id": "S29"}', "invalid_json"),  # two values
    ('{"facility_id": "S30", "n": +1}', "invalid_json"),
    ('{"facility_id": "S31", "n": .5}', "invalid_json"),
    ('{"facility_id": "S32", "u": "\\u12"}', "invalid_json"),
    ('{"facility_id": "S33", "name": "NaN, Infinity, [1,]"}', ("kept", "S33")),  # only text
    ('{"facility_id": "S34", "n": [nan, -inf]}', "invalid_json"),
    ('{"facility_id": "S35", "a": 1, "b": 2, "a": 3}', "duplicate_key"),  # not side by side
    # Past 32 names the local target counts distinct names another way: both ways are read.
    (_record("S36", **{f"m{i}": i for i in range(40)}), ("kept", "S36")),
    (_record("S37", **{f"m{i}": i for i in range(40)})[:-1] + ', "m5": 0}', "duplicate_key"),
    (
        '{"facility_id": "S38", "accreditations": ['
        + json.dumps({f"m{i}": i for i in range(40)})[:-1]
        + ', "m39": 0}, '
        + json.dumps(ENTRY)
        + "]}",
        ("kept", "S38"),
    ),
]

# Raw bytes per line for the encoding file: a Windows-1252 line and a cut-off UTF-8 sequence.
ENCODING_LINES: list[tuple[bytes, object]] = [
    (_record("E1").encode(), ("kept", "E1")),
    (b'{"facility_id": "E2", "facility_name": "Caf\xe9"}', "invalid_encoding"),
    (_record("E3", facility_name="Café 医院").encode(), ("kept", "E3")),
    (b'{"facility_id": "E4", "n": "\xe2\x82"}', "invalid_encoding"),
    (_record("E5").encode(), ("kept", "E5")),
]
# What raw_line shows for them: each maximal ill-formed subsequence as one U+FFFD.
ENCODING_RAW_LINES = {
    2: '{"facility_id": "E2", "facility_name": "Caf\ufffd"}',
    4: '{"facility_id": "E4", "n": "\ufffd"}',
}

# Mixed line ends: CRLF, LF, an empty line ended by CRLF, a lone CR, no final line end.
LINE_ENDS_BYTES = (
    b'{"facility_id": "L1"}\r\n'
    b'{"facility_id": "L2"}\n'
    b"\r\n"
    b'{"facility_id": "L4"}\r'
    b'{"facility_id": "L5", "facility_name": "after a lone CR"}\n'
    b"not json\r\n"
    b'{"facility_id": "L7"}'
)
LINE_ENDS_EXPECTED: dict[int, object] = {
    1: ("kept", "L1"),
    2: ("kept", "L2"),
    3: None,
    4: ("kept", "L4"),
    5: ("kept", "L5"),
    6: "invalid_json",
    7: ("kept", "L7"),
}

GZIP_LINES: list[tuple[str, object]] = [
    (_record("G1"), ("kept", "G1")),
    ("not json in a gzip file", "invalid_json"),
    ("", None),
    (_record("G4", facility_name="Zürich"), ("kept", "G4")),
]


def _long_line(facility_id: str, total_bytes: int, filler: str = "x") -> str:
    """A record of exactly `total_bytes` bytes of UTF-8, its name made of `filler`."""
    head = f'{{"facility_id": "{facility_id}", "facility_name": "'
    tail = '"}'
    room = total_bytes - len(head) - len(tail)
    width = len(filler.encode())
    return head + filler * (room // width) + "x" * (room % width) + tail


LONG_LINES: list[tuple[str, object]] = [
    # One byte over 16 MiB in two-byte characters: about 8 Mi characters, so the limit must
    # count bytes, not characters.
    (_long_line("T1", 16 * MIB + 1, filler="é"), "line_too_long"),
    (_long_line("T2", 15 * MIB), ("kept", "T2")),
    (_long_line("T3", 16 * MIB), ("kept", "T3")),  # exactly 16 MiB: not longer than the limit
    (_record("T4"), ("kept", "T4")),
]

FILES = {
    "01_json.ndjson": "json",
    "02_encoding.ndjson": "encoding",
    "03_line_ends.ndjson": "line_ends",
    "04_gzip.ndjson.gz": "gzip",
    "05_long.ndjson": "long",
}


def write_files(folder: Path) -> dict[str, dict[int, object]]:
    """Write the files into `folder`; return, per path, what each physical line must give."""
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, dict[int, object]] = {}

    def text_file(name: str, lines: list[tuple[str, object]], final_newline: bool = True) -> None:
        data = "\n".join(line for line, _ in lines) + ("\n" if final_newline else "")
        (folder / name).write_bytes(data.encode("utf-8"))
        expected[str(folder / name)] = {n: want for n, (_, want) in enumerate(lines, start=1)}

    text_file("01_json.ndjson", JSON_LINES)
    (folder / "02_encoding.ndjson").write_bytes(b"\n".join(line for line, _ in ENCODING_LINES))
    expected[str(folder / "02_encoding.ndjson")] = {
        n: want for n, (_, want) in enumerate(ENCODING_LINES, start=1)
    }
    (folder / "03_line_ends.ndjson").write_bytes(LINE_ENDS_BYTES)
    expected[str(folder / "03_line_ends.ndjson")] = dict(LINE_ENDS_EXPECTED)
    data = "\n".join(line for line, _ in GZIP_LINES) + "\n"
    (folder / "04_gzip.ndjson.gz").write_bytes(gzip.compress(data.encode("utf-8"), mtime=0))
    expected[str(folder / "04_gzip.ndjson.gz")] = {
        n: want for n, (_, want) in enumerate(GZIP_LINES, start=1)
    }
    text_file("05_long.ndjson", LONG_LINES, final_newline=False)
    return expected
