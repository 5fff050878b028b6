#!/usr/bin/env python3
"""SNS publish throughput against a local moto server: one Publish per alert vs the notifier's
PublishBatch path (notifier.publisher.Publisher) with concurrent workers, in the same run.

Starts `python -m moto.server` on a free 127.0.0.1 port itself (fake credentials, no network),
creates one topic (and, with --sqs, subscribes one SQS queue), publishes --count alerts both ways
(one message per facility, so every alert is one message either way), prints alerts per second
and the ratio, stops the server, and writes the figures as JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"moto server exited with {server.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("moto server did not start within 30 s")


def notices(count: int) -> list[Any]:
    """Every alert new, as on a first send: the lifecycle path the notifier takes."""
    from notifier.lifecycle import RepeatIntervals, evaluate
    from notifier.tiers import Thresholds, to_alerts

    # -10 .. 80 days: every tier, lapsed ones too.
    rows = [
        (
            f"FAC{i:07}",
            f"Facility {i}",
            "TX",
            "Joint Commission",
            f"JC{i}",
            "2025-10-01",
            "2025-08-31",
            i % 91 - 10,
            None,
            None,
            None,
        )
        for i in range(count)
    ]
    evaluation = evaluate(
        to_alerts(rows, Thresholds()), {}, lambda: "2025-08-31", RepeatIntervals(), lambda ids: []
    )
    return list(evaluation.notices)


def run(count: int, workers: int, sqs: bool) -> dict[str, object]:
    import boto3

    from notifier.audit import Unevaluated
    from notifier.aws import sns_client
    from notifier.messages import GroupBy, Layout, build_messages
    from notifier.publisher import Publisher
    from notifier.routing import Routing
    from notifier.tiers import Thresholds

    sns = boto3.client("sns", region_name=REGION)
    topic_arn = sns.create_topic(Name="bench-accreditation-alerts")["TopicArn"]
    if sqs:
        queue = boto3.client("sqs", region_name=REGION)
        url = queue.create_queue(QueueName="bench-alerts")["QueueUrl"]
        queue_arn = queue.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    routing = Routing.from_options(topic_arn, {})
    layout = Layout(GroupBy.FACILITY, routing, Thresholds())
    messages = build_messages(notices(count), layout, "2025-08-31", Unevaluated())
    assert len(messages) == count, "one message per facility, one alert each"

    # The same clients (retry policy included) the notifier's send uses.
    client = sns_client(REGION, max_attempts=5)
    started = time.perf_counter()
    for message in messages:
        client.publish(
            TopicArn=message.topic.arn,
            Message=message.body,
            MessageStructure="json",
            Subject=message.subject,
            MessageAttributes=message.attributes,
        )
    single_seconds = time.perf_counter() - started

    accepted: list[int] = []
    publisher = Publisher(lambda region: client, attempts=5, workers=workers)
    started = time.perf_counter()
    failures = publisher.publish(messages, lambda ok: accepted.append(len(ok)))
    batch_seconds = time.perf_counter() - started
    if failures or sum(accepted) != count:
        raise SystemExit(f"batch path: {len(failures)} failed, {sum(accepted)} of {count} accepted")

    single_rate, batch_rate = count / single_seconds, count / batch_seconds
    return {
        "alerts": count,
        "workers": workers,
        "sqs_subscriber": sqs,
        "publish_one_per_alert": {"seconds": single_seconds, "alerts_per_s": single_rate},
        "publish_batch_concurrent": {"seconds": batch_seconds, "alerts_per_s": batch_rate},
        "ratio": batch_rate / single_rate,
        "target": ">= 5",
        "met": batch_rate / single_rate >= 5,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=2000, help="alerts to publish each way")
    ap.add_argument("--workers", type=int, default=8, help="concurrent PublishBatch calls")
    ap.add_argument("--sqs", action="store_true", help="subscribe one SQS queue to the topic")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)

    port = free_port()
    # Fake credentials for the local emulator only; AWS_ENDPOINT_URL sends every call there.
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
    )
    os.environ.pop("AWS_PROFILE", None)
    sys.path.insert(0, str(ROOT))
    server = start_moto(port)
    try:
        result = run(args.count, args.workers, args.sqs)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    one, many = result["publish_one_per_alert"], result["publish_batch_concurrent"]
    assert isinstance(one, dict) and isinstance(many, dict)
    print(
        f"publish, {args.count:,} alerts: one Publish per alert {one['alerts_per_s']:,.0f}/s, "
        f"PublishBatch x {args.workers} workers {many['alerts_per_s']:,.0f}/s, "
        f"ratio {result['ratio']:.1f} (target >= 5)"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
