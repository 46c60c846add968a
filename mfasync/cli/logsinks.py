"""Where the request log (`mfasync.http`, see `api.requestlog`) goes during one CLI run.

At -vv its lines go to stderr; with `--log-file FILE` they also go to FILE, timestamped, whatever
the verbosity. FILE is created private (0600) from the start: it names users and endpoints. The
handlers belong to the run: `RequestLog.close` (called when the command's context closes) takes
them off the logger and closes the file, so that runs in one process (tests) do not pile them up.
Imported only when a run asks for a log: a plain `mfasync validate` never configures logging.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
from pathlib import Path
from typing import TextIO

import click

from mfasync import errors

LOGGER_NAME = "mfasync.http"  # api.requestlog's logger; named, not imported (api pulls aiohttp)


class _Timestamped(logging.Formatter):
    """`2026-12-02T17:40:47.123Z GET /api/v2/... 200 41ms attempt=1 ...` (UTC, milliseconds)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Stderr(logging.Handler):
    """Lines to the current stderr, looked up at each line (not held from the start): a rich
    progress bar and click's test runner replace sys.stderr while they run."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # noqa: BLE001 - logging's own contract: report, never raise
            self.handleError(record)


class RequestLog:
    """The request log's handlers for one run: `show_on_stderr`, `write_to`, then `close`."""

    def __init__(self) -> None:
        self._logger = logging.getLogger(LOGGER_NAME)
        self._stderr: logging.Handler | None = None
        self._file: logging.StreamHandler[TextIO] | None = None
        self._saved: tuple[int, bool] | None = None  # the logger's level and propagate flag

    def show_on_stderr(self, shown: bool) -> None:
        """Request lines on stderr (-vv) or not (a later -q turns them off again)."""
        if shown and self._stderr is None:
            self._stderr = _Stderr()
            self._attach(self._stderr)
        elif not shown and self._stderr is not None:
            self._detach(self._stderr)
            self._stderr = None

    def write_to(self, path: str) -> None:
        """Request lines, timestamped, to `path` (replaced), mode 0600 from creation."""
        if self._file is not None:  # --log-file given twice: the last one wins
            self._detach(self._file)
            self._file.close()
            self._file = None
        target = Path(path)
        try:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()  # O_CREAT would keep an existing file's wider mode
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise errors.UsageError(f"--log-file {path}: {exc.strerror or exc}") from None
        # Line-buffered: a run that is killed still leaves every line it logged.
        stream = os.fdopen(descriptor, "w", encoding="utf-8", buffering=1)
        handler: logging.StreamHandler[TextIO] = logging.StreamHandler(stream)
        handler.setFormatter(_Timestamped("%(asctime)s %(message)s"))
        self._file = handler
        self._attach(handler)

    def close(self) -> None:
        """Take every handler off the logger, close the file, restore the logger as it was."""
        self.show_on_stderr(False)
        if self._file is not None:
            self._detach(self._file)
            self._file.close()
            self._file.stream.close()
            self._file = None

    def _attach(self, handler: logging.Handler) -> None:
        if self._saved is None:
            self._saved = (self._logger.level, self._logger.propagate)
            self._logger.setLevel(logging.INFO)
            # The run's own handlers show the lines: not a second time through the root logger.
            self._logger.propagate = False
        self._logger.addHandler(handler)

    def _detach(self, handler: logging.Handler) -> None:
        self._logger.removeHandler(handler)
        kept = [each for each in (self._stderr, self._file) if each not in (None, handler)]
        if not kept:
            self._restore()

    def _restore(self) -> None:
        if self._saved is not None:
            level, propagate = self._saved
            self._logger.setLevel(level)
            self._logger.propagate = propagate
            self._saved = None
