"""The oracle itself, on hand-written cases of every rule of the spec (fast: no dbt)."""

from __future__ import annotations

import gzip
import json

import pytest
from oracle import (
    MAX_LINE_BYTES,
    Entry,
    Facility,
    RejectedEntry,
    RejectedRecord,
    parse_json,
    physical_lines,
    read_files,
    valid_until,
)

GOOD = '{"facility_id": "F1"}'


def record(**fields: object) -> str:
    return json.dumps({"facility_id": "F1", **fields})


def reasons(text: str, name: str = "a.ndjson") -> list[tuple[int, str]]:
    reading = read_files({name: text.encode("utf-8")})
    return [(r.line_number, r.reason) for r in reading.rejected_records]


def kept(text: str) -> list[Facility]:
    return read_files({"a.ndjson": text.encode("utf-8")}).facilities


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"a\nb\n", [b"a", b"b"]),
        (b"a\nb", [b"a", b"b"]),
        (b"a\r\nb\r\n", [b"a", b"b"]),
        (b"a\rb\r", [b"a", b"b"]),
        (b"a\r\r\nb", [b"a", b"", b"b"]),  # a lone CR, then CRLF ending an empty line
        (b"a\n\rb", [b"a", b"", b"b"]),
        (b"a\r\nb\nc\rd", [b"a", b"b", b"c", b"d"]),  # mixed: no phantom blank line
        (b"\xef\xbb\xbfa\n\xef\xbb\xbfb", [b"a", b"\xef\xbb\xbfb"]),  # only the file's BOM goes
        (b"", []),
        (b"\n", [b""]),
        (b"a\x01b\n", [b"a\x01b"]),  # a control character never cuts a line
        (b"a\x85b\xe2\x80\xa8c\n", [b"a\x85b\xe2\x80\xa8c"]),  # nor NEL or U+2028
    ],
)
def test_physical_lines(data: bytes, lines: list[bytes]) -> None:
    assert physical_lines("x.ndjson", data) == lines


def test_gzip_by_name_only() -> None:
    packed = gzip.compress(b"\xef\xbb\xbf" + GOOD.encode() + b"\n")
    assert physical_lines("x.ndjson.gz", packed) == [GOOD.encode()]
    assert physical_lines("x.ndjson", packed) != [GOOD.encode()]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \t",
        "\x0b\x0c\x1c\x1d\x1e\x1f",
        "\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000",
        "\u200b\ufeff",
    ],
)
def test_blank_lines_are_skipped_but_numbered(text: str) -> None:
    reading = read_files({"a.ndjson": f"{text}\n{text}\nnot json\n".encode()})
    assert reading.rejected_records == [RejectedRecord("a.ndjson", 3, "invalid_json", "not json")]
    assert reading.non_blank_lines["a.ndjson"] == 1


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ('{"a": 1}', True),
        (' \t{"a": [1, 2.5, -0, 1e400, true, null, "x"]}\t ', True),
        ('"\\ud83d\\ude00"', True),  # an escaped surrogate pair
        ('"a\x7fb\x85"', True),  # DEL and C1 controls may be raw in a JSON string
        ('"\\u0000"', True),
        ('{"a": 1,}', False),
        ("[1,]", False),
        ("{'a': 1}", False),
        ("{a: 1}", False),
        ('{"a": 1} // c', False),
        ('{"a": 1} x', False),
        ('{"a": 1}{}', False),
        ('{"a": NaN}', False),
        ('{"a": Infinity}', False),
        ('{"a": -Infinity}', False),
        ('{"a": 01}', False),
        ('{"a": +1}', False),
        ('{"a": .5}', False),
        ('{"a": 1.}', False),
        ('{"a": "\x01"}', False),
        ('{"a": "\t"}', False),
        ('{"a": "\\x41"}', False),
        ('{"a": "\\u12"}', False),
        ('{"a": "\\ud800"}', False),
        ('{"a": "\\udc00"}', False),
        ('{"a": "\\ude00\\ud83d"}', False),
        ('{"\\ud800": 1}', False),
        ('{"a": "\\ud800\\u0041"}', False),
        ('\x0c{"a": 1}', False),  # form feed is white space to Python, not to JSON
        ('{"a": 1}\xa0', False),
        ('\ufeff{"a": 1}', False),
        ('{"a": 1', False),
    ],
)
def test_strict_json(text: str, ok: bool) -> None:
    assert parse_json(text)[0] is ok


def test_line_precedence_and_raw_line() -> None:
    lines = [
        "[1, 2]",  # 1 not_an_object
        '"F1"',  # 2 not_an_object
        '{"facility_id": "F1", "facility_id": "F2"}',  # 3 duplicate_key
        '{"facility_id": 7, "facility_id": 8}',  # 4 duplicate_key before missing id
        '{"facility_id": "F3", "location": {"state": "TX", "state": "CA"}}',  # 5 duplicate_key
        '{"facility_\\u0069d": "F4", "facility_id": "F4"}',  # 6 an escaped duplicate
        '{"facility_id": "F5", "labs": [{"a": 1, "a": 2}]}',  # 7 kept: labs are not checked
        '{"facility_id": 12}',  # 8 missing_facility_id
        '{"facility_id": " \u3000\u200b"}',  # 9 missing_facility_id
        '{"name": "x"}',  # 10 missing_facility_id
        '{"facility_id": null}',  # 11 missing_facility_id
        '{"facility_id": "F5"}',  # 12 kept; supersedes line 7
        "x" * 1500,  # 13 invalid_json, cut
    ]
    reading = read_files({"a.ndjson": "\n".join(lines).encode()})
    got = {r.line_number: r.reason for r in reading.rejected_records}
    assert got == {
        1: "not_an_object",
        2: "not_an_object",
        3: "duplicate_key",
        4: "duplicate_key",
        5: "duplicate_key",
        6: "duplicate_key",
        7: "duplicate_superseded",
        8: "missing_facility_id",
        9: "missing_facility_id",
        10: "missing_facility_id",
        11: "missing_facility_id",
        13: "invalid_json",
    }
    assert [(f.facility_id, f.line_number) for f in reading.facilities] == [("F5", 12)]
    raw = {r.line_number: r.raw_line for r in reading.rejected_records}
    assert raw[13] == "x" * 1000
    assert raw[7] == lines[6]


def test_encoding() -> None:
    data = b'{"facility_id": "F\xff1"}\n{"facility_id": "F2"}\n\xef\xbb\xbf' + GOOD.encode()
    data += b"\n" + json.dumps({"facility_id": "F3", "n": "\ufffd"}, ensure_ascii=False).encode()
    reading = read_files({"a.ndjson": data})
    assert reading.rejected_records == [
        RejectedRecord("a.ndjson", 1, "invalid_encoding", '{"facility_id": "F\ufffd1"}'),
        RejectedRecord("a.ndjson", 3, "invalid_json", "\ufeff" + GOOD),  # not the file's BOM
        # Choice: a U+FFFD written as valid UTF-8 is invalid_encoding too (F2's practical rule).
        RejectedRecord("a.ndjson", 4, "invalid_encoding", '{"facility_id": "F3", "n": "\ufffd"}'),
    ]
    assert [f.facility_id for f in reading.facilities] == ["F2"]


def test_line_too_long_comes_first() -> None:
    filler = "é" * ((MAX_LINE_BYTES - 40) // 2)
    exact = json.dumps({"facility_id": "F1", "n": filler}, ensure_ascii=False)
    exact += " " * (MAX_LINE_BYTES - len(exact.encode()))
    assert len(exact.encode()) == MAX_LINE_BYTES
    data = f"{exact}\r\n{exact} \n".encode() + b"\xff" * (MAX_LINE_BYTES + 1)
    reading = read_files({"a.ndjson": data})
    assert [(f.facility_id, f.line_number) for f in reading.facilities] == [("F1", 1)]
    assert [(r.line_number, r.reason, len(r.raw_line)) for r in reading.rejected_records] == [
        (2, "line_too_long", 1000),
        (3, "line_too_long", 1000),
    ]


def test_superseded_by_path_then_line() -> None:
    # Code point order: 'B' < '_' < 'a' < 'é', unlike a locale's order.
    files = {name: b'{"facility_id": " F1 "}\n{"facility_id": "F1"}\n' for name in ["é", "a"]}
    files["B"] = files["_"] = b'{"facility_id": "F1\\u0020"}\n'
    reading = read_files(files)
    assert [(f.source_file, f.line_number) for f in reading.facilities] == [("é", 2)]
    assert sorted((r.source_file, r.line_number) for r in reading.rejected_records) == [
        ("B", 1),
        ("_", 1),
        ("a", 1),
        ("a", 2),
        ("é", 1),
    ]
    assert {r.reason for r in reading.rejected_records} == {"duplicate_superseded"}


def test_superseded_records_leave_no_entries() -> None:
    old = record(accreditations=[{"valid_until": "2020-01-01"}, None])
    new = record(accreditations="none")
    reading = read_files({"a.ndjson": f"{old}\n{new}\n".encode()})
    assert reading.entries == []
    assert reading.rejected_entries == [RejectedEntry("F1", 0, "not_an_array")]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("TX", "TX"),
        ("tx", "TX"),
        ("\u00a0 tx\u3000\u200b\ufeff", "TX"),
        ("Texas", "TX"),
        ("new york", "NY"),
        ("NEW YORK", "NY"),
        ("District of Columbia", "DC"),
        (" u.s. virgin islands ", "VI"),
        ("New  York", "NEW  YORK"),  # inside white space is kept
        ("Tex", "TEX"),
        ("é", "É"),
        ("straße", "STRAßE"),  # Choice: one code point at a time
        ("", None),
        (" \u2028 ", None),
        (12, None),
        (None, None),
    ],
)
def test_state(state: object, expected: str | None) -> None:
    assert [f.state for f in kept(record(location={"state": state}))] == [expected]


@pytest.mark.parametrize("location", [None, "TX", ["TX"], {"city": "X"}])
def test_state_without_a_location_object(location: object) -> None:
    assert [f.state for f in kept(record(location=location))] == [None]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("250", 250),
        ("-3", -3),
        ("-0", 0),
        ("0", 0),
        ("9223372036854775807", 9223372036854775807),
        ("-9223372036854775808", -9223372036854775808),
        ("9223372036854775808", None),  # Choice: a BIGINT column, so out of range is null
        ("250.0", None),
        ("250.5", None),
        ("2e2", None),
        ("2E+2", None),
        ('"250"', None),
        ("true", None),
        ("null", None),
        ("[250]", None),
    ],
)
def test_employee_count(written: str, expected: int | None) -> None:
    line = '{"facility_id": "F1", "employee_count": ' + written + "}"
    assert [f.employee_count for f in kept(line)] == [expected]


@pytest.mark.parametrize(
    ("services", "expected"),
    [(["a", "b"], 2), (["a", 1, None, ["b"], {"c": "d"}, ""], 2), ("a", 0), (None, 0), ({}, 0)],
)
def test_services(services: object, expected: int) -> None:
    assert [f.number_of_offered_services for f in kept(record(services=services))] == [expected]


def test_missing_services() -> None:
    assert [f.number_of_offered_services for f in kept(GOOD)] == [0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-31", "2026-12-31"),
        ("2024-02-29", "2024-02-29"),
        ("0001-01-01", "0001-01-01"),
        ("9999-12-31", "9999-12-31"),
        (" \t2026-01-05\u3000\u200b", "2026-01-05"),
        ("2026-01-05T10:20:30Z", "2026-01-05"),
        ("2026-01-05t10:20:30z", "2026-01-05"),
        ("2026-01-05T23:59:60.123456+14:00", "2026-01-05"),
        ("2026-01-05T00:00:00-23:59", "2026-01-05"),  # the date as written, no conversion
        ("2026-12-31T23:00:00-05:00", "2026-12-31"),
        ("0000-01-01", None),
        ("2025-02-29", None),
        ("2025-13-01", None),
        ("2025-00-10", None),
        ("2025-04-31", None),
        ("12/31/2026", None),
        ("31.12.2026", None),
        ("2026-1-5", None),
        ("20260105", None),
        ("+2026-01-05", None),
        ("\uff12\uff10\uff12\uff16-01-05", None),  # full-width digits
        ("2026-01-05T10:20:30", None),  # no offset
        ("2026-01-05 10:20:30Z", None),  # a space for the T
        ("2026-01-05T24:00:00Z", None),
        ("2026-01-05T10:60:00Z", None),
        ("2026-01-05T10:20:61Z", None),
        ("2026-01-05T10:20:30.Z", None),
        ("2026-01-05T10:20:30+24:00", None),
        ("2026-01-05T10:20:30+0500", None),
        ("2026-01-05T10:20Z", None),
        ("2026-01-05Z", None),
        (" 2026-01-05T10:20:30Z\t", "2026-01-05"),  # white space around a date-time too
        ("2026-01-05x", None),
        ("", None),
        (20260105, None),
        (None, None),
    ],
)
def test_valid_until(value: object, expected: str | None) -> None:
    assert valid_until(value) == expected


def test_accreditation_entries() -> None:
    line = (
        '{"facility_id": " F1\\t", "accreditations": ['
        '{"accreditation_body": "JC", "accreditation_id": "A1", "valid_until": "2026-01-05"}, '
        "null, "
        '"JC", '
        '{"accreditation_body": 5, "accreditation_id": 1.50,'
        ' "valid_until": "2026-01-05T01:00:00Z"}, '
        '{"valid_until": "2026-01-05", "valid_until": "2026-01-06"}, '
        '{"accreditation_id": 42, "valid_until": "2025-02-29"}, '
        '{"accreditation_id": true, "valid_until": " 2024-02-29 "}, '
        "[]]}"
    )
    reading = read_files({"a.ndjson": line.encode()})
    assert reading.entries == [
        Entry("F1", 1, "JC", "A1", "2026-01-05"),
        Entry("F1", 4, None, "1.50", "2026-01-05"),
        Entry("F1", 7, None, None, "2024-02-29"),
    ]
    assert reading.rejected_entries == [
        RejectedEntry("F1", 2, "not_an_object"),
        RejectedEntry("F1", 3, "not_an_object"),
        RejectedEntry("F1", 5, "duplicate_key"),
        RejectedEntry("F1", 6, "invalid_valid_until"),
        RejectedEntry("F1", 8, "not_an_object"),
    ]


@pytest.mark.parametrize("value", ['{"valid_until": "2026-01-01"}', '"x"', "1", "true", "false"])
def test_accreditations_not_an_array(value: str) -> None:
    reading = read_files(
        {"a.ndjson": ('{"facility_id": "F1", "accreditations": ' + value + "}").encode()}
    )
    assert reading.entries == []
    assert reading.rejected_entries == [RejectedEntry("F1", 0, "not_an_array")]


@pytest.mark.parametrize("value", ["null", "[]"])
def test_accreditations_none(value: str) -> None:
    reading = read_files(
        {"a.ndjson": ('{"facility_id": "F1", "accreditations": ' + value + "}").encode()}
    )
    assert reading.entries == reading.rejected_entries == []
    assert len(reading.facilities) == 1


def test_every_non_blank_line_is_accounted_for() -> None:
    files = {
        "a.ndjson": b"\xef\xbb\xbf" + GOOD.encode() + b"\r\n\r\n \nx\r" + GOOD.encode(),
        "b.ndjson.gz": gzip.compress(b'{"facility_id": "F2"}\n\n[]\n'),
    }
    reading = read_files(files)
    assert reading.non_blank_lines == {"a.ndjson": 3, "b.ndjson.gz": 2}
    for name, count in reading.non_blank_lines.items():
        kept_here = sum(f.source_file == name for f in reading.facilities)
        rejected_here = sum(r.source_file == name for r in reading.rejected_records)
        assert kept_here + rejected_here == count
    assert [(f.source_file, f.line_number) for f in reading.facilities] == [
        ("a.ndjson", 5),
        ("b.ndjson.gz", 1),
    ]
