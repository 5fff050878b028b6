"""The local reader's file pieces (notifier/file_pieces.py), without dbt.

Each case lays a file out in pieces, reads every piece back, splits it by the reader's rule
(LF, CRLF, lone CR; a final line end adds no line) and checks that the pieces cover the file
byte for byte, that each ends after a line end (so no line is cut), and that each piece's
first_line is the physical number of its first line, as splitting the whole file gives it.
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pytest

from notifier.file_pieces import file_pieces, read_file_piece

_LINE_END = re.compile(rb"\r\n|\r|\n")


def split_lines(data: bytes) -> list[bytes]:
    lines = _LINE_END.split(data)
    return lines[:-1] if lines and lines[-1] == b"" else lines


def check_layout(path: Path, piece_bytes: int) -> int:
    """Checks every property of the layout; returns the number of pieces."""
    data = path.read_bytes()
    pieces = file_pieces(str(path), piece_bytes)
    assert [p["start"] for p in pieces] == [
        sum(p["length"] for p in pieces[:i]) for i in range(len(pieces))
    ]
    assert sum(p["length"] for p in pieces) == len(data)
    numbered: list[tuple[int, bytes]] = []
    for index, piece in enumerate(pieces):
        content = read_file_piece(str(path), piece["start"], piece["length"])
        assert content == data[piece["start"] : piece["start"] + piece["length"]]
        assert piece["length"] > 0
        if index < len(pieces) - 1:
            # Ends after a line end, and not between the CR and LF of a CRLF.
            assert content.endswith((b"\n", b"\r"))
            assert not (content.endswith(b"\r") and data[piece["start"] + piece["length"]] == 10)
        numbered += [(piece["first_line"] + i, line) for i, line in enumerate(split_lines(content))]
    assert numbered == list(enumerate(split_lines(data), start=1))
    return len(pieces)


@pytest.mark.parametrize(
    ("name", "data", "piece_bytes", "expected_pieces"),
    [
        # A piece is what is left of the last block plus the next one, up to its last line end.
        ("lf", b"aa\nbb\ncc\ndd\n", 4, 3),
        ("no final line end", b"aa\nbb\ncc", 4, 3),
        ("crlf split by the block end", b"a\r\nb\r\nc\r\n", 2, 3),
        ("lone cr", b"aa\rbb\rcc\r", 4, 3),
        ("lone cr ending a block, then lf", b"a\rb\r\nc\r\n", 4, 2),
        ("mixed", b"a\nb\r\nc\rd\n\n\r\re", 3, 6),
        ("a line longer than a piece", b"x" * 50 + b"\nyy\n", 8, 1),
        ("blank lines only", b"\n\n\n\n", 1, 4),
        ("one piece", b"aa\nbb\n", 1024, 1),
        ("invalid utf-8 and a bom", b"\xef\xbb\xbf{}\n\xff\xfe\n\xc3\n", 3, 3),
    ],
)
def test_pieces_cover_the_file_in_whole_lines(
    tmp_path: Path, name: str, data: bytes, piece_bytes: int, expected_pieces: int
) -> None:
    path = tmp_path / "part.ndjson"
    path.write_bytes(data)
    assert check_layout(path, piece_bytes) == expected_pieces


def test_every_piece_size_over_a_mixed_file(tmp_path: Path) -> None:
    path = tmp_path / "part.ndjson"
    path.write_bytes(b'{"a":1}\r\n\r{"b":2}\n\n{"c":3}\r\r\n{"d":\xff}\r' * 7 + b"tail")
    counts = {size: check_layout(path, size) for size in range(1, 60)}
    # A piece per line: 7 lines in each copy (the last one ends with a lone CR), and the tail.
    assert counts[1] == 50
    assert counts[59] < counts[1]


def test_an_empty_file_has_no_piece(tmp_path: Path) -> None:
    path = tmp_path / "empty.ndjson"
    path.write_bytes(b"")
    assert file_pieces(str(path), 8) == []


def test_a_gzip_file_is_one_piece(tmp_path: Path) -> None:
    path = tmp_path / "part.ndjson.gz"
    path.write_bytes(gzip.compress(b"aa\nbb\ncc\n" * 100))
    assert file_pieces(str(path), 8) == [
        {"start": 0, "length": path.stat().st_size, "first_line": 1}
    ]


def test_a_changed_file_is_laid_out_again(tmp_path: Path) -> None:
    path = tmp_path / "part.ndjson"
    path.write_bytes(b"aa\nbb\n")
    assert len(file_pieces(str(path), 3)) == 2
    path.write_bytes(b"aa\nbb\ncc\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert len(file_pieces(str(path), 3)) == 3


def test_a_piece_size_below_one_byte_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "part.ndjson"
    path.write_bytes(b"aa\n")
    with pytest.raises(ValueError, match="at least 1 byte, not 0"):
        file_pieces(str(path), 0)
