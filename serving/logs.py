"""Structured JSON logs for the server: route templates and roles, never names, ids or tokens."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

# Only these `extra` fields are written; anything else a caller passes is dropped, so a
# student id or a token can never reach the log through a careless `extra=`.
ALLOWED_FIELDS = (
    "method",
    "route",
    "status",
    "duration_ms",
    "role",
    "model_version",
    "source",
    "reason",
    "rows",
    "batch_id",
)


def _withhold_traceback(message: str) -> str:
    """A traceback handed over as a message (uvicorn logs the app's shutdown failure so) can
    quote SQL parameters, ids included: keep only the exception's class."""
    if "Traceback (most recent call last)" not in message:
        return message
    last = message.strip().splitlines()[-1]
    return f"traceback withheld (it may quote ids); error: {last.split(':', 1)[0].strip()}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the allowed fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _withhold_traceback(record.getMessage()),
        }
        for name in ALLOWED_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the server's and uvicorn's logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("serving", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    # uvicorn's access log prints raw paths, which hold student ids: ours logs templates.
    logging.getLogger("uvicorn.access").disabled = True
