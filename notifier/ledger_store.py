"""Where the ledger's objects live: next to a local file, or next to an S3 key.

Both backends store named objects relative to one base (the ledger's path or key): the snapshot
at the base itself ("") and the others at suffixes such as ".journal/<segment>". Every write
replaces a whole object atomically, so a reader never sees half of one: a local file is written
to a temporary name, fsynced and renamed; an S3 PUT is atomic by itself. The lock is taken with
`Store.lock` and held from reading the ledger to its last write.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from mypy_boto3_s3 import S3Client

from notifier.aws import error_code
from notifier.errors import BadInputError, NotifierError

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.1
# An S3 lock whose holder vanished (killed, lost network) is taken over after this long; a live
# holder renews it with every ledger write.
_S3_LEASE_SECONDS = 300.0
_CONFLICT = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_MISSING = frozenset({"NoSuchKey", "404"})
# Bodies up to this size are sent from memory; a larger one (a snapshot of many alerts) is
# spooled to a temporary file first, so a million-alert snapshot is never held twice in memory.
_SPOOL_BYTES = 8 * 1024 * 1024
_READ_CHUNK = 1024 * 1024
# DeleteObjects takes at most this many keys per call.
_DELETE_BATCH = 1000


class StorageError(Exception):
    """A write or delete failed; `conflict` when its condition (If-Match, If-None-Match) failed."""

    def __init__(self, detail: str, *, conflict: bool = False) -> None:
        super().__init__(detail)
        self.conflict = conflict


@dataclass(frozen=True)
class Written:
    version: str | None  # the S3 ETag; None for a local file (flock needs no fence)
    size: int


@dataclass(frozen=True)
class Listed:
    name: str  # relative to the prefix listed
    size: int


@dataclass(frozen=True)
class Opened:
    lines: Iterator[bytes]  # with their line ends, so the bytes can be kept exactly
    version: str | None


class Store(Protocol):
    location: str

    def lock(self, timeout: float) -> AbstractContextManager[None]: ...

    def verify_lock(self) -> None:
        """Raise NotifierError if another send took the lock (S3 leases); renews the lease."""

    def open(self, suffix: str) -> AbstractContextManager[Opened | None]:
        """The object's lines and version, or None when it does not exist."""

    def list(self, prefix: str) -> list[Listed]:
        """The objects under base+prefix, sorted by name."""

    def create(self, suffix: str, chunks: Iterable[bytes]) -> Written:
        """Write an object that must not exist yet."""

    def replace(self, suffix: str, chunks: Iterable[bytes], version: str | None) -> Written:
        """Write the object only if it is still at `version` (absent if None)."""

    def put(self, suffix: str, chunks: Iterable[bytes]) -> Written:
        """Write the object whatever is there."""

    def delete(self, suffixes: Sequence[str]) -> None: ...


def log_waiting(location: str) -> bool:
    """Said once per wait, so an operator (or a test) sees why a send has not started yet."""
    log.info("waiting for the ledger lock", extra={"fields": {"ledger": location}})
    return True


def unreadable(location: str | Path, detail: object) -> BadInputError:
    return BadInputError(f"ledger {location} is unreadable: {detail}")


class FileStore:
    """Files next to the ledger's path; a flock on `<path>.lock` (the kernel drops it on death,
    so it never goes stale and no fence is needed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)

    def _path(self, suffix: str) -> Path:
        return self.path.parent / (self.path.name + suffix)

    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        lock_path = self._path(".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = lock_path.open("a")
        except OSError as exc:
            raise BadInputError(f"cannot create ledger lock {lock_path}: {exc}") from exc
        with handle:
            deadline = time.monotonic() + timeout
            waiting = False
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waiting = waiting or log_waiting(self.location)
                    if time.monotonic() > deadline:
                        raise NotifierError(
                            f"ledger {self.location} is locked by another send "
                            f"(waited {timeout:g} s)"
                        ) from None
                    time.sleep(_POLL_SECONDS)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def verify_lock(self) -> None:
        pass  # a flock cannot be taken away from a live holder

    @contextmanager
    def open(self, suffix: str) -> Iterator[Opened | None]:
        path = self._path(suffix)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            handle = None
        except OSError as exc:
            raise unreadable(path, exc) from exc
        if handle is None:
            yield None
            return
        with handle:
            yield Opened(_file_lines(handle, path), None)

    def list(self, prefix: str) -> list[Listed]:
        folder = self._path(prefix.rstrip("/"))
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise unreadable(folder, exc) from exc
        # Dot files are this store's temporary files, not yet (or never) renamed into place.
        return [
            Listed(e.name, e.stat().st_size)
            for e in entries
            if e.is_file() and not e.name.startswith(".")
        ]

    def create(self, suffix: str, chunks: Iterable[bytes]) -> Written:
        # Names are unique per run (a UUID), so a rename cannot replace another send's segment.
        return self.put(suffix, chunks)

    def replace(self, suffix: str, chunks: Iterable[bytes], version: str | None) -> Written:
        return self.put(suffix, chunks)  # under the flock nothing else writes

    def put(self, suffix: str, chunks: Iterable[bytes]) -> Written:
        path = self._path(suffix)
        try:
            created = not path.parent.exists()
            path.parent.mkdir(parents=True, exist_ok=True)
            if created:
                _fsync_dir(path.parent.parent)  # the new folder's entry must survive a crash too
            size = _write_atomically(path, chunks)
        except OSError as exc:
            raise StorageError(str(exc)) from exc
        return Written(None, size)

    def delete(self, suffixes: Sequence[str]) -> None:
        folders = set()
        try:
            for suffix in suffixes:
                path = self._path(suffix)
                path.unlink(missing_ok=True)
                folders.add(path.parent)
            for folder in folders:
                _fsync_dir(folder)
        except OSError as exc:
            raise StorageError(str(exc)) from exc


def _file_lines(handle: IO[bytes], path: Path) -> Iterator[bytes]:
    try:
        yield from handle
    except OSError as exc:
        raise unreadable(path, exc) from exc


def _write_atomically(path: Path, chunks: Iterable[bytes]) -> int:
    """tmp file + fsync + rename + fsync of the folder: the name shows the whole file or the old."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    size = 0
    try:
        with tmp.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return size


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _body(chunks: Iterable[bytes]) -> Iterator[tuple[bytes | IO[bytes], int]]:
    """The chunks as one PUT body: bytes when small, else a spooled temporary file."""
    parts: list[bytes] = []
    size = 0
    iterator = iter(chunks)
    for chunk in iterator:
        parts.append(chunk)
        size += len(chunk)
        if size > _SPOOL_BYTES:
            break
    else:
        yield b"".join(parts), size
        return
    with tempfile.TemporaryFile() as spool:
        spool.writelines(parts)
        parts.clear()
        for chunk in iterator:
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        yield spool, size


class S3Store:
    """Objects next to an S3 key, written with conditional PUTs.

    The lock is an object created with If-None-Match and holding a lease, so a concurrent send
    waits instead of publishing the same alerts; every write renews the lease, and a lock whose
    lease ran out (its holder crashed) is taken over with If-Match.
    """

    def __init__(self, client: S3Client, bucket: str, key: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._lock_key = key + ".lock"
        self.location = f"s3://{bucket}/{key}"
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4()}"
        self._lock_etag: str | None = None

    @contextmanager
    def open(self, suffix: str) -> Iterator[Opened | None]:
        key = self._key + suffix
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) not in _MISSING:
                raise unreadable(f"s3://{self._bucket}/{key}", exc) from exc
            response = None
        except BotoCoreError as exc:
            raise unreadable(f"s3://{self._bucket}/{key}", exc) from exc
        if response is None:
            yield None
            return
        body = response["Body"]
        try:
            lines = body.iter_lines(_READ_CHUNK, keepends=True)
            yield Opened(self._lines(lines, key), response["ETag"])
        finally:
            body.close()

    def _lines(self, lines: Iterator[bytes], key: str) -> Iterator[bytes]:
        try:
            yield from lines
        except BotoCoreError as exc:
            raise unreadable(f"s3://{self._bucket}/{key}", exc) from exc

    def list(self, prefix: str) -> list[Listed]:
        full = self._key + prefix
        listed: list[Listed] = []
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=full
            )
            for page in pages:
                for item in page.get("Contents", []):
                    listed.append(Listed(item["Key"][len(full) :], item["Size"]))
        except (ClientError, BotoCoreError) as exc:
            raise unreadable(f"s3://{self._bucket}/{full}", exc) from exc
        return sorted(listed, key=lambda item: item.name)

    def create(self, suffix: str, chunks: Iterable[bytes]) -> Written:
        return self._write(self._key + suffix, chunks, None, conditional=True)

    def replace(self, suffix: str, chunks: Iterable[bytes], version: str | None) -> Written:
        return self._write(self._key + suffix, chunks, version, conditional=True)

    def put(self, suffix: str, chunks: Iterable[bytes]) -> Written:
        return self._write(self._key + suffix, chunks, None, conditional=False)

    def _write(
        self, key: str, chunks: Iterable[bytes], etag: str | None, *, conditional: bool
    ) -> Written:
        with _body(chunks) as (body, size):
            try:
                etag = self._put(key, body, etag, conditional=conditional)
            except (ClientError, BotoCoreError) as exc:
                code = error_code(exc)
                raise StorageError(f"{code}: {exc}", conflict=code in _CONFLICT) from exc
        return Written(etag, size)

    def _put(
        self, key: str, body: bytes | IO[bytes], etag: str | None, *, conditional: bool = True
    ) -> str:
        """Replace the object only if it still has this ETag; create it only if absent if None."""
        if not conditional:
            response = self._client.put_object(Bucket=self._bucket, Key=key, Body=body)
        elif etag is None:
            response = self._client.put_object(
                Bucket=self._bucket, Key=key, Body=body, IfNoneMatch="*"
            )
        else:
            response = self._client.put_object(
                Bucket=self._bucket, Key=key, Body=body, IfMatch=etag
            )
        return response["ETag"]

    def delete(self, suffixes: Sequence[str]) -> None:
        keys = [self._key + suffix for suffix in suffixes]
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            try:
                response = self._client.delete_objects(
                    Bucket=self._bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
            except (ClientError, BotoCoreError) as exc:
                raise StorageError(f"{error_code(exc)}: {exc}") from exc
            if errors := response.get("Errors"):
                first = errors[0]
                raise StorageError(
                    f"{len(errors)} object(s) not deleted, first {first.get('Key')}: "
                    f"{first.get('Code')} {first.get('Message')}"
                )

    def verify_lock(self) -> None:
        if not self._put_lock(self._lock_etag):
            raise NotifierError(f"lost the lock on ledger {self.location} to another send")

    def _lock_body(self) -> bytes:
        expires = time.time() + _S3_LEASE_SECONDS
        return json.dumps({"owner": self._owner, "expires_at": expires}).encode()

    def _put_lock(self, etag: str | None) -> bool:
        """Create (None) or replace the lock; False when another send got there first."""
        try:
            self._lock_etag = self._put(self._lock_key, self._lock_body(), etag)
        except ClientError as exc:
            if error_code(exc) not in _CONFLICT:
                raise BadInputError(
                    f"ledger {self.location} is unusable: cannot write its lock: {exc}"
                ) from exc
            return False
        return True

    def _expired_lock_etag(self) -> tuple[str | None, str]:
        """The lock's ETag if its lease ran out, and who holds it."""
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=self._lock_key)
            holder = json.loads(response["Body"].read())
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return None, "nobody (released)"
            raise BadInputError(
                f"ledger {self.location} is unusable: cannot read its lock: {exc}"
            ) from exc
        except ValueError:
            return response["ETag"], "an unreadable lock"
        expired = float(holder.get("expires_at", 0)) < time.time()
        return (response["ETag"] if expired else None), str(holder.get("owner"))

    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        deadline = time.monotonic() + timeout
        waiting = False
        while not self._put_lock(None):
            stale_etag, holder = self._expired_lock_etag()
            if stale_etag is not None and self._put_lock(stale_etag):
                log.warning(
                    "took over an expired ledger lock", extra={"fields": {"holder": holder}}
                )
                break
            waiting = waiting or log_waiting(self.location)
            if time.monotonic() > deadline:
                raise NotifierError(
                    f"ledger {self.location} is locked by {holder} (waited {timeout:g} s)"
                )
            time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            try:
                self._client.delete_object(
                    Bucket=self._bucket, Key=self._lock_key, IfMatch=str(self._lock_etag)
                )
            except ClientError as exc:
                log.warning(
                    "could not release the ledger lock; it expires by itself",
                    extra={"fields": {"lock": self._lock_key, "error": error_code(exc)}},
                )
