"""Which SNS topic each tier goes to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from notifier.errors import BadInputError
from notifier.tiers import Tier

_TOPIC_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:sns:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:"
    r"(?P<name>[A-Za-z0-9_-]{1,251}\.fifo|[A-Za-z0-9_-]{1,256})"
)


@dataclass(frozen=True)
class Topic:
    arn: str
    region: str
    fifo: bool

    @classmethod
    def parse(cls, arn: str, option: str) -> Topic:
        match = _TOPIC_ARN.fullmatch(arn)
        if match is None:
            raise BadInputError(
                f"{option}: {arn!r} is not an SNS topic ARN "
                "(expected arn:aws:sns:REGION:ACCOUNT_ID:TOPIC_NAME)"
            )
        return cls(arn=arn, region=match["region"], fifo=match["name"].endswith(".fifo"))


@dataclass(frozen=True)
class Routing:
    topics: dict[Tier, Topic]

    @classmethod
    def from_options(cls, topic_arn: str | None, per_tier: dict[Tier, str | None]) -> Routing:
        """A per-tier topic overrides the shared one; every tier must end up with a topic."""
        shared = Topic.parse(topic_arn, "--topic-arn") if topic_arn else None
        topics: dict[Tier, Topic] = {}
        for tier in Tier:
            arn = per_tier.get(tier)
            topic = Topic.parse(arn, f"--{tier.value}-topic-arn") if arn else shared
            if topic is not None:
                topics[tier] = topic
        missing = [tier.value for tier in Tier if tier not in topics]
        if missing:
            raise BadInputError(
                "no topic for tier(s) " + ", ".join(missing) + ": give --topic-arn "
                "(NOTIFIER_TOPIC_ARN) or a topic per tier (--critical-topic-arn, ...)"
            )
        return cls(topics)

    def distinct(self) -> list[Topic]:
        return list(dict.fromkeys(self.topics.values()))
