"""The last line of defence: nothing pytest writes can carry a secret.

Values that hold secrets render without them (``Principal``, ``Attempt``, ``ApiRequest``,
``Client``, ``Workbench`` have safe ``repr`` and Hypothesis ``_repr_pretty_``), and findings are
redacted where they are made. That is not enough on its own: ``pytest -l`` prints every local
variable of every frame of a traceback, and a local can be a plain string with a key in it
(a header value being assembled, a requests exception's URL). Nobody can give a ``str`` a safe
``repr``. So, on top, everything that leaves pytest goes through the target's ``Redactor``:

- each test and collection report (the traceback with its locals and arguments, the crash
  line, captured output and logs, Hypothesis's notes, user properties), before the terminal,
  JUnit XML or pytest-xdist's wire format see it;
- everything the terminal writer writes, for what is not a report: a ``KeyboardInterrupt``'s
  traceback, internal errors, the warnings summary;
- urllib3's own log records, whose URLs may carry query-string credentials.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from typing import Any

Redact = Callable[[str], str]


def scrub(value: Any, redact: Redact, _depth: int = 0) -> Any:
    """``value`` with every string in it redacted: pytest's report objects, in place."""
    if isinstance(value, str):
        return redact(value)
    if _depth > 12:
        return value
    if isinstance(value, list):
        value[:] = [scrub(item, redact, _depth + 1) for item in value]
        return value
    if isinstance(value, tuple):
        return tuple(scrub(item, redact, _depth + 1) for item in value)
    if _is_report_part(value):
        for name, item in list(vars(value).items()):
            cleaned = scrub(item, redact, _depth + 1)
            if cleaned is not item:
                object.__setattr__(value, name, cleaned)
        return value
    return value


def _is_report_part(value: Any) -> bool:
    """pytest's representations of tracebacks and reports (dataclasses and plain objects)."""
    module = type(value).__module__ or ""
    return module.startswith("_pytest.") and (
        dataclasses.is_dataclass(value) or hasattr(value, "__dict__")
    )


def scrub_report(report: Any, redact: Redact) -> None:
    """Redact a ``TestReport`` or ``CollectReport`` before anything renders or ships it."""
    if report.longrepr is not None:
        report.longrepr = scrub(report.longrepr, redact)
    report.sections = [(title, redact(content)) for title, content in report.sections]
    properties = getattr(report, "user_properties", None)
    if properties:
        report.user_properties = [
            (name, redact(value) if isinstance(value, str) else value) for name, value in properties
        ]


def redact_terminal(writer: Any, redactor: Callable[[], Redact | None]) -> None:
    """Route every byte a pytest ``TerminalWriter`` writes through the redactor, once known.

    ``write_raw`` is the writer's one way out (``write``, ``line``, ``sep`` and highlighted
    source all end there); the redactor is looked up per write because the target, and so
    its secrets, is loaded after the terminal is set up.
    """
    if getattr(writer, "_authfuzz_redacted", False):
        return
    original = writer.write_raw

    def write_raw(msg: str, *, flush: bool = False) -> None:
        redact = redactor()
        original(redact(msg) if redact is not None and msg else msg, flush=flush)

    writer.write_raw = write_raw
    writer._authfuzz_redacted = True


_QUERY = re.compile(r"\?\S*")


class HideQueryStrings(logging.Filter):
    """Drops the query string from urllib3's log records (a retry warning names the URL).

    Query strings are where legacy credentials travel (``?username=...&api_key=...``); the
    path alone says which request was retried. Stateless, so one instance serves every client.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub("?<query hidden>", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = _QUERY.sub("?<query hidden>", record.msg)
        return True


URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.response")


def hide_query_strings_in_urllib3_logs() -> None:
    """Install ``HideQueryStrings`` on the urllib3 loggers that name URLs (once each)."""
    for name in URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideQueryStrings) for f in logger.filters):
            logger.addFilter(HideQueryStrings())


_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{16,}")


def scrub_unknown_secrets(text: str) -> str:
    """For a crash report when the target's secrets are not known: mask every long token.

    Crude on purpose (it masks hashes and nonces too): it runs only where nothing better is
    available, in the command line's last-resort handler.
    """
    return _LONG_TOKEN.sub("{redacted}", text)
