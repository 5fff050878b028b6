"""Errors the CLI turns into a message and an exit code instead of a traceback."""

from __future__ import annotations

# Exit codes are part of the CLI contract (see docs/notifier.md).
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3
# `notifier run`: a dbt node or command failed, so nothing was sent.
EXIT_BUILD_FAILED = 4
# `notifier run` stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


class NotifierError(Exception):
    exit_code = EXIT_FAILED


class BadInputError(NotifierError):
    """Configuration or input the user has to fix: retrying will not help."""

    exit_code = EXIT_BAD_INPUT


class StaleArtifactsError(NotifierError):
    """The last dbt run did not produce a mart we can trust."""

    exit_code = EXIT_REFUSED


class InterruptedRun(NotifierError):
    """Ctrl-C or SIGTERM stopped `notifier run`; what was done is recorded, the rest is not."""

    exit_code = EXIT_INTERRUPTED
