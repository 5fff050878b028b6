"""Raw facility files cut into pieces of whole lines, for the local reader.

The DuckDB reader (macros/raw_facility_lines.sql) reads each piece as one value and splits it
into lines there. Reading a file whole made one value of the whole file, and DuckDB cannot
spill a single value: a 1.4 GB file needed several such allocations at once and the build
failed at its 3 GB memory limit. Pieces keep every value near the piece size, and each piece
is a separate source in the query, so DuckDB reads them in parallel and spills what follows.

A piece ends just after a line end, so no line is cut. Line ends are LF, CRLF and a lone CR,
as the reader splits them; a piece ends after an LF where its block has one, which is the end
of a line whether or not a CR comes before it.
"""

from __future__ import annotations

import os
from typing import TypedDict


class FilePiece(TypedDict):
    start: int
    length: int
    first_line: int


# One layout per file state: a dbt build compiles the reader more than once (the model and
# the line-accounting test), and a layout reads the whole file.
_layouts: dict[tuple[str, int, int, int], list[FilePiece]] = {}


def file_pieces(path: str, piece_bytes: int) -> list[FilePiece]:
    """The pieces of about piece_bytes each that cover the file, in order, with the physical
    line number each starts at. A .gz file is one piece: it cannot be read from the middle.
    """
    if piece_bytes < 1:
        raise ValueError(f"the piece size must be at least 1 byte, not {piece_bytes}")
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns, piece_bytes)
    if key not in _layouts:
        if path.lower().endswith(".gz"):
            pieces = [FilePiece(start=0, length=stat.st_size, first_line=1)] if stat.st_size else []
        else:
            pieces = _lay_out(path, piece_bytes)
        _layouts[key] = pieces
    return _layouts[key]


def _lay_out(path: str, piece_bytes: int) -> list[FilePiece]:
    # One buffer, read into, with only the unended tail moved to its front: a new bytes object
    # per block, the tail glued to the next one, took 7.5-8.7 s to lay out the 10M bench's
    # 5.8 GB, this 3.5 s for the same pieces. It runs when the reader compiles, before any model.
    pieces: list[FilePiece] = []
    start, first_line = 0, 1
    window = bytearray(piece_bytes)
    pending = 0  # bytes at the front of window: the start of a line the last block did not end
    with open(path, "rb", buffering=0) as file:
        while True:
            if len(window) < pending + piece_bytes:
                # A line longer than a piece: the window grows to hold it and the next block.
                window = window[:pending] + bytearray(piece_bytes)
            read = file.readinto(memoryview(window)[pending : pending + piece_bytes])
            size = pending + (read or 0)
            at_end = not read
            if size == 0:
                return pieces
            end = size if at_end else _end_of_last_line(window, size)
            if end == 0:
                # No line ends in this block: the line goes on into the next one.
                pending = size
                continue
            pieces.append(FilePiece(start=start, length=end, first_line=first_line))
            first_line += _line_ends(window, end)
            start += end
            window[: size - end] = window[end:size]
            pending = size - end
            if at_end:
                return pieces


def _end_of_last_line(data: bytearray, size: int) -> int:
    """Where the last whole line of data[:size] ends (0 when it has no line end)."""
    lf = data.rfind(b"\n", 0, size)
    if lf >= 0:
        return lf + 1
    cr = data.rfind(b"\r", 0, size)
    if cr < 0:
        return 0
    if cr + 1 < size:
        # Only a lone CR can be followed by anything other than an LF here: data has no LF.
        return cr + 1
    # A CR that ends the block may be the first half of a CRLF: end before it instead.
    earlier = data.rfind(b"\r", 0, cr)
    return earlier + 1 if earlier >= 0 else 0


def _line_ends(data: bytearray, end: int) -> int:
    ends = data.count(b"\n", 0, end)
    if data.find(b"\r", 0, end) >= 0:
        ends += data.count(b"\r", 0, end) - data.count(b"\r\n", 0, end)
    return ends


def read_file_piece(path: str, start: int, length: int) -> bytes:
    with open(path, "rb", buffering=0) as file:
        file.seek(start)
        return file.read(length)
