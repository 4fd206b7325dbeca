"""Structured JSON logs, one line per record, with keys that follow a request or a queue message.

Standard ``logging`` with a small JSON formatter rather than Powertools' Logger: every function imports
this module at cold start, and Powertools' logger package costs ~10 ms there for nothing we use
beyond these few lines. Keys added with ``append_keys`` (correlation id, route) live in a context
variable, so concurrent requests of the local threaded server never mix them.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextvars import ContextVar
from typing import Any

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "memberships")
_KEYS: ContextVar[dict[str, Any]] = ContextVar("log_keys", default={})  # noqa: B039 (never mutated: replaced)
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "level": record.levelname,
            "location": f"{record.funcName}:{record.lineno}",
            "message": record.getMessage(),
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "service": SERVICE,
            **_KEYS.get(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
            out["exception_name"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(out, default=str)


class StructuredLogger:
    """``logging.Logger`` plus ``append_keys`` (the keys every later line of this request carries)."""

    def __init__(self, name: str) -> None:
        self._log = logging.getLogger(name)
        if not self._log.handlers:
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(JsonFormatter())
            self._log.addHandler(handler)
            self._log.propagate = False
        level = os.environ.get("LOG_LEVEL") or os.environ.get("POWERTOOLS_LOG_LEVEL") or "INFO"
        self._log.setLevel(level.upper())

    def append_keys(self, **keys: Any) -> None:
        _KEYS.set({**_KEYS.get(), **keys})

    def clear_keys(self) -> None:
        _KEYS.set({})

    def info(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        self._log.info(message, extra=extra, stacklevel=2)

    def warning(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        self._log.warning(message, extra=extra, stacklevel=2)

    def exception(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        self._log.exception(message, extra=extra, stacklevel=2)


logger = StructuredLogger(SERVICE)
