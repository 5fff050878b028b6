"""The project's dbt-duckdb plugin (profiles.yml: `plugins: [{module: notifier.duckdb_plugin}]`).

- It creates the folder of the database file before dbt-duckdb opens it, so DUCKDB_PATH may
  point into a folder that does not exist yet instead of failing with DuckDB's "Cannot open
  file" traceback.
- It registers the functions the local reader of the raw files (macros/raw_facility_lines.sql)
  needs, since DuckDB's CSV and JSON readers cannot return every line whole:
  `facility_file_pieces(path, piece_bytes)` and `read_facility_file_piece(path, start, length)`
  (notifier/file_pieces.py) cut a file into pieces of whole lines, and
  `gunzip_file(content, filename)` decompresses a `.gz` file.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError
from duckdb import DuckDBPyConnection, sqltypes

from notifier.file_pieces import file_pieces, read_file_piece

# Paths DuckDB does not treat as a local file.
_NOT_A_FILE = (":memory:", "md:", "motherduck:", "s3://", "http://", "https://")


def gunzip_file(content: bytes, filename: str) -> bytes:
    """A gzip file's bytes, decompressed (every member of a multi-member file, as gzip does).

    A file that is not gzip data cannot be read at all, so the build stops naming it, as
    Athena's query does; a truncated one too, since its last line would be cut silently.
    """
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{filename} is not a readable gzip file ({exc})") from None


class Plugin(BasePlugin):
    def update_connection_config(self, creds: DuckDBCredentials, config: dict[str, Any]) -> None:
        path = str(creds.path or "")
        if not path or path.startswith(_NOT_A_FILE):
            return
        folder = Path(path).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DbtRuntimeError(
                f"cannot create {folder}, the folder of the DuckDB file {path} (DUCKDB_PATH): {exc}"
            ) from exc

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        piece = conn.struct_type(
            {"start": sqltypes.BIGINT, "length": sqltypes.BIGINT, "first_line": sqltypes.BIGINT}
        )
        conn.create_function(
            "facility_file_pieces",
            file_pieces,
            [sqltypes.VARCHAR, sqltypes.BIGINT],
            conn.list_type(piece),
            side_effects=False,
        )
        # side_effects: DuckDB would otherwise inline the call into every expression that uses
        # the piece and read it once for each (measured: three reads a piece).
        conn.create_function(
            "read_facility_file_piece",
            read_file_piece,
            [sqltypes.VARCHAR, sqltypes.BIGINT, sqltypes.BIGINT],
            sqltypes.BLOB,
            side_effects=True,
        )
        conn.create_function(
            "gunzip_file",
            gunzip_file,
            [sqltypes.BLOB, sqltypes.VARCHAR],
            sqltypes.BLOB,
            side_effects=False,
        )
