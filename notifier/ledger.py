"""The record of alerts SNS has accepted, so a rerun publishes only what is new.

Both backends store JSON Lines, one record per alert. A send holds the ledger's lock from
reading it until its last record is written, so two concurrent sends cannot both publish an alert.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError
from mypy_boto3_s3 import S3Client

from notifier.aws import error_code, s3_client
from notifier.errors import BadInputError, NotifierError
from notifier.tiers import ALERT_KEY_FIELDS, Alert, AlertKey

log = logging.getLogger(__name__)

DEFAULT_FILE_NAME = ".notifier-ledger.json"
_POLL_SECONDS = 0.1
# An S3 lock whose holder vanished (killed, lost network) is taken over after this long; a live
# holder renews it with every ledger write.
_S3_LEASE_SECONDS = 300.0
_CONFLICT = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})


@dataclass(frozen=True)
class LedgerEntry:
    alert: Alert
    message_id: str
    topic_arn: str
    sent_at: str

    def line(self) -> str:
        record = dict(zip(ALERT_KEY_FIELDS, self.alert.key, strict=True))
        record |= {"sent_at": self.sent_at, "message_id": self.message_id, "topic": self.topic_arn}
        return json.dumps(record, ensure_ascii=False) + "\n"


class Ledger(Protocol):
    location: str

    def lock(self, timeout: float) -> AbstractContextManager[None]: ...

    def load(self) -> set[AlertKey]: ...

    def record(self, entries: Sequence[LedgerEntry]) -> None: ...


def _log_waiting(location: str) -> bool:
    """Said once per wait, so an operator (or a test) sees why a send has not started yet."""
    log.info("waiting for the ledger lock", extra={"fields": {"ledger": location}})
    return True


def _parse(lines: Iterable[str], location: str) -> set[AlertKey]:
    keys: set[AlertKey] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            keys.add(tuple(record[field] for field in ALERT_KEY_FIELDS))
        except (ValueError, TypeError, KeyError) as exc:
            raise BadInputError(
                f"ledger {location} is unreadable: line {number} is not a ledger record ({exc})"
            ) from exc
    return keys


class FileLedger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)

    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        # flock, on a side file: the kernel drops it when the holder dies, so it never goes stale.
        lock_path = self.path.with_name(self.path.name + ".lock")
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
                    waiting = waiting or _log_waiting(self.location)
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

    def load(self) -> set[AlertKey]:
        try:
            with self.path.open(encoding="utf-8") as handle:
                return _parse(handle, self.location)
        except FileNotFoundError:
            return set()
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInputError(f"ledger {self.location} is unreadable: {exc}") from exc

    def record(self, entries: Sequence[LedgerEntry]) -> None:
        try:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("".join(entry.line() for entry in entries))
                handle.flush()
                # On disk before the next batch goes out: a crash must not forget what SNS took.
                os.fsync(handle.fileno())
        except OSError as exc:
            raise NotifierError(
                f"SNS accepted {len(entries)} alert(s) but ledger {self.location} could not "
                f"record them ({exc}); they may be sent again"
            ) from exc


class S3Ledger:
    """One S3 object, rewritten whole (S3 cannot append) with If-Match on the ETag last seen.

    The conditional write is the fence: if anything else changed the object since this send read
    it, the write fails instead of dropping the other writer's records. The lock is a second
    object created with If-None-Match, so a concurrent send waits instead of publishing the same
    alerts.
    """

    def __init__(self, client: S3Client, bucket: str, key: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._lock_key = key + ".lock"
        self.location = f"s3://{bucket}/{key}"
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4()}"
        self._content = b""
        self._etag: str | None = None
        self._lock_etag: str | None = None

    def load(self) -> set[AlertKey]:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=self._key)
            content = response["Body"].read()
        except ClientError as exc:
            if error_code(exc) not in {"NoSuchKey", "404"}:
                raise BadInputError(f"ledger {self.location} is unreadable: {exc}") from exc
            self._content, self._etag = b"", None
            return set()
        except BotoCoreError as exc:
            raise BadInputError(f"ledger {self.location} is unreadable: {exc}") from exc
        self._content, self._etag = content, response["ETag"]
        try:
            return _parse(content.decode("utf-8").splitlines(), self.location)
        except UnicodeDecodeError as exc:
            raise BadInputError(f"ledger {self.location} is unreadable: {exc}") from exc

    def record(self, entries: Sequence[LedgerEntry]) -> None:
        content = self._content + "".join(entry.line() for entry in entries).encode()
        try:
            etag = self._put(self._key, content, self._etag)
        except (ClientError, BotoCoreError) as exc:
            raise NotifierError(
                f"SNS accepted {len(entries)} alert(s) but ledger {self.location} could not "
                f"record them ({error_code(exc)}: {exc}); they may be sent again"
            ) from exc
        self._content, self._etag = content, etag
        if not self._put_lock(self._lock_etag):
            raise NotifierError(f"lost the lock on ledger {self.location} to another send")

    def _lock_body(self) -> bytes:
        expires = time.time() + _S3_LEASE_SECONDS
        return json.dumps({"owner": self._owner, "expires_at": expires}).encode()

    def _put(self, key: str, body: bytes, etag: str | None) -> str:
        """Replace the object only if it still has this ETag; create it only if absent if None."""
        if etag is None:
            response = self._client.put_object(
                Bucket=self._bucket, Key=key, Body=body, IfNoneMatch="*"
            )
        else:
            response = self._client.put_object(
                Bucket=self._bucket, Key=key, Body=body, IfMatch=etag
            )
        return response["ETag"]

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
            if error_code(exc) in {"NoSuchKey", "404"}:
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
            waiting = waiting or _log_waiting(self.location)
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


def open_ledger(spec: str) -> Ledger:
    """A path, or s3://bucket/key."""
    if not spec.startswith("s3://"):
        return FileLedger(Path(spec))
    bucket, _, key = spec[len("s3://") :].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise BadInputError(f"--ledger {spec!r}: expected s3://BUCKET/KEY")
    return S3Ledger(s3_client(), bucket, key)
