"""Publish messages with PublishBatch, re-sending only the entries SNS failed transiently."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from mypy_boto3_sns import SNSClient

from notifier.aws import error_code
from notifier.messages import MAX_MESSAGE_BYTES, Message

log = logging.getLogger(__name__)

BATCH_ENTRIES = 10

Accepted = list[tuple[Message, str]]


@dataclass(frozen=True)
class Failure:
    message: Message
    code: str
    reason: str


def batches(messages: Sequence[Message]) -> Iterator[list[Message]]:
    """Runs of messages to one topic, at most 10 entries and 256 KiB per PublishBatch call."""
    batch: list[Message] = []
    size = 0
    for message in messages:
        if batch and (
            message.topic != batch[0].topic
            or len(batch) == BATCH_ENTRIES
            or size + message.size > MAX_MESSAGE_BYTES
        ):
            yield batch
            batch, size = [], 0
        batch.append(message)
        size += message.size
    if batch:
        yield batch


class Publisher:
    """Publishes with PublishBatch; `workers` > 1 sends that many batches at a time.

    SNS answers each call in tens of milliseconds, nearly all of it waiting, so concurrent
    calls multiply throughput (bench/publish_bench.py). With several workers, on_accepted is
    still called by one thread at a time, and a failure to record (an exception from
    on_accepted) stops batches not yet started, as it stops the sequential loop.
    """

    def __init__(
        self,
        client_for_region: Callable[[str], SNSClient],
        attempts: int,
        backoff_seconds: float = 0.2,
        workers: int = 1,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._client_for_region = client_for_region
        self._attempts = attempts
        self._backoff_seconds = backoff_seconds
        self._workers = workers

    def publish(
        self, messages: Sequence[Message], on_accepted: Callable[[Accepted], None]
    ) -> list[Failure]:
        """Publish all; call on_accepted after every response that accepted something.

        Recording as each response arrives, not at the end, is what keeps a run that dies
        half-way from publishing the same alert again on the next run.
        """
        runs = list(batches(messages))
        if self._workers == 1 or len(runs) < 2:
            failures: list[Failure] = []
            for batch in runs:
                failures += self._publish_batch(batch, on_accepted)
            return failures
        return self._publish_concurrently(runs, on_accepted)

    def _publish_concurrently(
        self, runs: list[list[Message]], on_accepted: Callable[[Accepted], None]
    ) -> list[Failure]:
        # boto3 clients are thread-safe, creating them is not: make each region's client here,
        # before any worker asks for it.
        for region in dict.fromkeys(batch[0].topic.region for batch in runs):
            self._client_for_region(region)
        record_lock = threading.Lock()
        stop = threading.Event()

        def record(accepted: Accepted) -> None:
            # Batches already in flight when another worker failed are still recorded if
            # possible: they were published.
            with record_lock:
                try:
                    on_accepted(accepted)
                except BaseException:
                    stop.set()
                    raise

        def send(batch: list[Message]) -> list[Failure]:
            if stop.is_set():
                return []
            return self._publish_batch(batch, record)

        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="sns") as pool:
            futures = [pool.submit(send, batch) for batch in runs]
            failures: list[Failure] = []
            error: BaseException | None = None
            for future in futures:
                try:
                    failures += future.result()
                except BaseException as exc:  # re-raised below, the first one
                    stop.set()
                    error = error or exc
        if error is not None:
            raise error
        return failures

    def _backoff(self, attempt: int) -> None:
        # Full jitter, so concurrent senders that failed together do not retry together.
        time.sleep(random.uniform(0, self._backoff_seconds * 2 ** (attempt - 1)))

    def _publish_batch(
        self, batch: list[Message], on_accepted: Callable[[Accepted], None]
    ) -> list[Failure]:
        topic = batch[0].topic
        client = self._client_for_region(topic.region)
        pending = {f"m{index}": message for index, message in enumerate(batch)}
        last_error: dict[str, tuple[str, str]] = {}
        failures: list[Failure] = []
        for attempt in range(1, self._attempts + 1):
            if attempt > 1:
                self._backoff(attempt - 1)
                log.info(
                    "re-sending failed entries",
                    extra={"fields": {"topic": topic.arn, "entries": len(pending)}},
                )
            try:
                response = client.publish_batch(
                    TopicArn=topic.arn,
                    PublishBatchRequestEntries=[
                        message.entry(entry_id) for entry_id, message in pending.items()
                    ],
                )
            except (ClientError, BotoCoreError) as exc:
                # botocore's standard retry mode has already retried throttling and 5xx.
                log.error(
                    "PublishBatch failed",
                    extra={"fields": {"topic": topic.arn, "error": error_code(exc)}},
                )
                return failures + [
                    Failure(message, error_code(exc), str(exc)) for message in pending.values()
                ]
            accepted = [
                (pending.pop(ok["Id"]), ok["MessageId"])
                for ok in response.get("Successful", [])
                if ok["Id"] in pending
            ]
            if accepted:
                on_accepted(accepted)
            retry: dict[str, Message] = {}
            for failed in response.get("Failed", []):
                message = pending.pop(failed["Id"], None)
                if message is None:
                    continue
                error = (failed["Code"], failed.get("Message", ""))
                log.warning(
                    "PublishBatch entry failed",
                    extra={"fields": {"topic": topic.arn, "code": error[0], "reason": error[1]}},
                )
                if failed["SenderFault"]:
                    failures.append(Failure(message, *error))
                else:
                    retry[failed["Id"]] = message
                    last_error[failed["Id"]] = error
            # An entry the response does not mention was not confirmed: try it again.
            for entry_id, message in pending.items():
                retry[entry_id] = message
                last_error.setdefault(entry_id, ("Unconfirmed", "not in the PublishBatch response"))
            pending = retry
            if not pending:
                break
        return failures + [
            Failure(message, *last_error[entry_id]) for entry_id, message in pending.items()
        ]
