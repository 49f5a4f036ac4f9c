"""Secrets never reach a log line (issue 14 §2).

The webhook URL's token names a gateway connection (whoever has it can post events for the org)
and appeared in the access log and in Django's "Not Found: /hooks/stripe/<token>" warnings; an
API key (`sk_test_…`, `sk_live_…`) or a Stripe signing secret (`whsec_…`) could appear in any
message or traceback. A LogRecord factory redacts every record when it is created, so every
handler and logger gets the clean text: Django's, Huey's, gunicorn's access and error logs
(gunicorn loads the app, and with it these settings, in each process that logs a request).
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redactado]"
_PATTERNS = [
    (re.compile(r"(/hooks/[A-Za-z0-9_-]+/)[^/\s?\"'#]+"), r"\1" + REDACTED),
    (re.compile(r"\b(sk_(?:test|live)_)[A-Za-z0-9_-]+"), r"\1" + REDACTED),
    (re.compile(r"\b(whsec_)[A-Za-z0-9+/=_-]+"), r"\1" + REDACTED),
]
_installed = False


def redact(text: str) -> str:
    """`text` with webhook tokens and keys replaced by «[redactado]»."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def install() -> None:
    """Wrap the process's LogRecord factory (once) so every record is redacted at creation."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's to report, not ours
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
