"""boto3 clients with the retry policy the notifier relies on."""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import NoRegionError
from mypy_boto3_cloudwatch import CloudWatchClient
from mypy_boto3_s3 import S3Client
from mypy_boto3_sns import SNSClient

from notifier.errors import BadInputError

# Endpoints and credentials come from boto3's own resolution (AWS_ENDPOINT_URL, the standard
# credential chain); nothing is passed here that would override them.


def _config(max_attempts: int) -> Config:
    # "standard" retries throttling and 5xx responses with jittered exponential backoff.
    return Config(retries={"mode": "standard", "max_attempts": max_attempts})


def _no_region(exc: NoRegionError) -> BadInputError:
    return BadInputError(f"no AWS region configured (set AWS_REGION): {exc}")


def sns_client(region: str, max_attempts: int) -> SNSClient:
    return boto3.client("sns", region_name=region, config=_config(max_attempts))


def s3_client(max_attempts: int = 5) -> S3Client:
    try:
        return boto3.client("s3", config=_config(max_attempts))
    except NoRegionError as exc:
        raise _no_region(exc) from exc


def cloudwatch_client(max_attempts: int = 5) -> CloudWatchClient:
    try:
        return boto3.client("cloudwatch", config=_config(max_attempts))
    except NoRegionError as exc:
        raise _no_region(exc) from exc


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__
