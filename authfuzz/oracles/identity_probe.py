"""The identity probe: which identity did the server give a credential, without writing?

Only staff can read an unpublished release. A negative credential that reads one was treated
as staff, which is the Feb-2026 bypass seen through a GET. This is how the gate checks
production, where no write may be attempted; the route surface asks the same question of every
read-only spelling of a path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Rule = Callable[[Any, bool], tuple[str, str] | None]


def revealed(draft_slug: str) -> Rule:
    """A GET answered with the unpublished release's data."""

    def judge(response: Any, aim_changed: bool) -> tuple[str, str] | None:
        if 200 <= response.status < 300 and draft_slug in response.text:
            return (
                "the server treated this credential as staff: it revealed an unpublished release",
                f"GET of the unpublished release {draft_slug!r} answered {response.status} "
                "with its data",
            )
        return None

    return judge


def revealed_any(hidden: list[str]) -> Rule:
    """An answer that names any unpublished release (``hidden``: their slugs), as a list or a
    detail shows them: more than an anonymous caller sees."""

    def judge(response: Any, aim_changed: bool) -> tuple[str, str] | None:
        if not 200 <= response.status < 300:
            return None
        shown = [slug for slug in hidden if f'"{slug}"' in response.text]
        if not shown:
            return None
        names = ", ".join(repr(s) for s in shown[:3]) + (" ..." if len(shown) > 3 else "")
        return (
            "the server showed this identity more than an anonymous caller sees: "
            "an unpublished release",
            f"answered {response.status} naming {len(shown)} unpublished release(s): {names}",
        )

    return judge


def route_answer(method: str, detail: bool, offers_actions: bool, draft_slug: str) -> Rule:
    """A read-only route cell's answer to a non-staff caller: the unpublished release shown, a
    HEAD of it answered 200, or (v2) OPTIONS offering write actions."""
    summary = "the server treated a non-staff credential as staff on an undocumented route"

    def judge(response: Any, aim_changed: bool) -> tuple[str, str] | None:
        status = response.status
        if method == "GET" and 200 <= status < 300 and draft_slug in response.text:
            return summary, f"answered {status} with the unpublished release {draft_slug!r}"
        if method == "HEAD" and detail and status == 200:
            return (
                summary,
                "answered 200 for the unpublished release (a non-staff caller gets 404/401)",
            )
        if method == "OPTIONS" and offers_actions and _offers_writes(response.text):
            return summary, "offered write actions (PUT/POST) to a non-staff caller"
        return None

    return judge


def _offers_writes(text: str) -> bool:
    try:
        data: Any = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and bool(data.get("actions"))
