"""Export the latest version of each mart as CSV under `run_date=YYYY-MM-DD/`, locally or on S3.

Each file appears whole or not at all (a local file is renamed into place, an S3 object is one
upload), and `_SUCCESS`, written last, lists the files and their rows: a reader that finds it
knows the set is complete.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

from notifier.artifacts import locate_mart
from notifier.aws import s3_client
from notifier.errors import BadInputError, NotifierError
from notifier.profile import Target
from notifier.reader import run_query

EXPORTED_MODELS = ("facility_summary", "expiring_accreditations", "accredited_facilities_by_state")
SUCCESS_MARKER = "_SUCCESS"


@dataclass(frozen=True)
class ExportedFile:
    model: str
    relation: str
    location: str
    rows: int


class Destination(Protocol):
    location: str

    def check_writable(self) -> None: ...

    def writer(self, run_date: str, name: str) -> AbstractContextManager[IO[str]]: ...


class LocalDestination:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def check_writable(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-check-"):
                pass
        except OSError as exc:
            raise BadInputError(f"export location {self.root} is not writable: {exc}") from exc

    @contextmanager
    def writer(self, run_date: str, name: str) -> Iterator[IO[str]]:
        directory = self.root / f"run_date={run_date}"
        partial = directory / f".{name}.partial"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle = partial.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise NotifierError(f"cannot write the export under {directory}: {exc}") from exc
        try:
            with handle:
                yield handle
            os.replace(partial, directory / name)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise


class S3Destination:
    def __init__(self, bucket: str, prefix: str) -> None:
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.location = f"s3://{bucket}/{self.prefix}"
        self._client = s3_client()

    def check_writable(self) -> None:
        # A small object the run may overwrite every time: the one way to learn that PutObject is
        # allowed before the build, without needing DeleteObject too.
        key = f"{self.prefix}.write-check"
        try:
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=b"notifier run checks it may write here\n"
            )
        except (ClientError, BotoCoreError) as exc:
            raise BadInputError(f"export location {self.location} is not writable: {exc}") from exc

    @contextmanager
    def writer(self, run_date: str, name: str) -> Iterator[IO[str]]:
        key = f"{self.prefix}run_date={run_date}/{name}"
        with tempfile.TemporaryDirectory(prefix="notifier-export-") as spool:
            path = Path(spool) / name
            with path.open("w", encoding="utf-8", newline="") as handle:
                yield handle
            try:
                # upload_file switches to a multipart upload for big files by itself.
                self._client.upload_file(str(path), self.bucket, key)
            except (ClientError, BotoCoreError, S3UploadFailedError) as exc:
                raise NotifierError(f"cannot upload s3://{self.bucket}/{key}: {exc}") from exc


def parse_destination(spec: str) -> Destination:
    if spec.startswith("s3://"):
        bucket, _, prefix = spec[len("s3://") :].partition("/")
        if not bucket:
            raise BadInputError(f"--export {spec!r}: expected s3://BUCKET/PREFIX/")
        return S3Destination(bucket, prefix)
    return LocalDestination(Path(spec).expanduser())


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _write_csv(handle: IO[str], columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        count += 1
    return count


def export_marts(
    destination: Destination, target: Target, target_path: Path, run_date: str
) -> list[ExportedFile]:
    exported = []
    for model in EXPORTED_MODELS:
        relation = locate_mart(target_path, model).relation
        name = f"{relation.parts[-1]}.csv"
        result = run_query(target, f"select * from {relation.sql}", [], relation.sql)
        with destination.writer(run_date, name) as handle:
            rows = _write_csv(handle, result.columns, result.rows)
        location = f"{destination.location.rstrip('/')}/run_date={run_date}/{name}"
        exported.append(ExportedFile(model, relation.sql, location, rows))
    with destination.writer(run_date, SUCCESS_MARKER) as handle:
        marker = {"run_date": run_date, "files": [asdict(file) for file in exported]}
        handle.write(json.dumps(marker, indent=2) + "\n")
    return exported
