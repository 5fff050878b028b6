"""Publish messages with PublishBatch, re-sending only the entries SNS failed transiently."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
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
    def __init__(
        self,
        client_for_region: Callable[[str], SNSClient],
        attempts: int,
        backoff_seconds: float = 0.2,
    ) -> None:
        self._client_for_region = client_for_region
        self._attempts = attempts
        self._backoff_seconds = backoff_seconds

    def publish(
        self, messages: Sequence[Message], on_accepted: Callable[[Accepted], None]
    ) -> list[Failure]:
        """Publish all; call on_accepted after every response that accepted something.

        Recording as each response arrives, not at the end, is what keeps a run that dies
        half-way from publishing the same alert again on the next run.
        """
        failures: list[Failure] = []
        for batch in batches(messages):
            failures += self._publish_batch(batch, on_accepted)
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
