"""Logs to stderr, as text for people or JSON lines for log pipelines."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        return f"notifier {record.levelname.lower()}: {record.getMessage()} {fields}".rstrip()


def setup_logging(log_format: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger = logging.getLogger("notifier")
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False


def report_error(message: str, exit_code: int) -> None:
    """One clear line for people, or one JSON event when logs go to a pipeline."""
    logger = logging.getLogger("notifier")
    if any(isinstance(handler.formatter, JsonFormatter) for handler in logger.handlers):
        logger.error(message, extra={"fields": {"exit_code": exit_code}})
    else:
        print(f"notifier: error: {message}", file=sys.stderr)
