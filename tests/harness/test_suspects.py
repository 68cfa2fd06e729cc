"""Which trials a dirty batch's changes name (``judge.suspects``), and the buckets a vulnerable
server charges (``buckets.charged``): pure functions, no server.

- a created object names the one request that carried its slug; a changed or deleted object
  names the one request aimed at it, or among several the one that carried its new value;
- a change no request names, or that several name, gives None: only bisection can tell;
- v1 charges a wrong key the server let through to the header username's bucket; a refused one
  (401) stays where a correct server puts it.
"""

from __future__ import annotations

from authfuzz.client import ApiRequest
from authfuzz.client.messages import ApiResponse
from authfuzz.engine.changes import CHANGED, CREATED, DELETED, Change
from authfuzz.engine.judge import Judgement, Sent, suspects
from authfuzz.engine.trial import Shot
from authfuzz.principals import Principal, Principals, Role
from authfuzz.throttles.buckets import GUEST, Bucket, charged
from authfuzz.world import Entry

OK = ApiResponse(201, {}, "", 0.0)


def _shot(method: str, path: str, body: object = None, aim: tuple[str, int] | None = None) -> Sent:
    request = ApiRequest(method, path, json_body=body)
    shot = Shot(request, "no-unauthenticated-write", "wrong-key", f"{method} {path}")
    if aim is not None:
        shot = Shot(request, shot.invariant, shot.branch, shot.operation, aim=frozenset({aim}))
    return Sent(shot, OK)


def _entry(slug: str, pk: int, **fields: object) -> Entry:
    return Entry("os", slug, pk, {"slug": slug, **fields})


def _dirty(*changes: Change) -> Judgement:
    return Judgement(tuple(changes), tuple(None for _ in changes))


def test_a_created_object_names_the_request_that_carried_its_slug() -> None:
    sent = [
        _shot("POST", "/api/v1/downloads/os/", {"name": "a", "slug": "authfuzz-os-aaaa"}),
        _shot("POST", "/api/v1/downloads/os/", {"name": "b", "slug": "authfuzz-os-bbbb"}),
    ]
    made = Change(CREATED, None, _entry("authfuzz-os-bbbb", 9))
    assert suspects(_dirty(made), sent) == [1]


def test_a_deleted_object_names_the_one_request_aimed_at_it() -> None:
    sent = [
        _shot("DELETE", "/api/v1/downloads/os/3/", aim=("os", 3)),
        _shot("DELETE", "/api/v1/downloads/os/4/", aim=("os", 4)),
    ]
    gone = Change(DELETED, _entry("windows", 4), None)
    assert suspects(_dirty(gone), sent) == [1]


def test_among_several_aimed_at_one_object_the_new_value_names_its_writer() -> None:
    sent = [
        _shot("PATCH", "/api/v1/downloads/os/3/", {"name": "authfuzz-x-1111"}, aim=("os", 3)),
        _shot("PATCH", "/api/v1/downloads/os/3/", {"name": "authfuzz-x-2222"}, aim=("os", 3)),
    ]
    before = _entry("windows", 3, name="Windows")
    after = _entry("windows", 3, name="authfuzz-x-2222")
    assert suspects(_dirty(Change(CHANGED, before, after)), sent) == [1]


def test_a_change_named_by_none_or_by_several_leaves_it_to_bisection() -> None:
    twice = [
        _shot("DELETE", "/api/v1/downloads/os/4/", aim=("os", 4)),
        _shot("DELETE", "/api/v1/downloads/os/4/", aim=("os", 4)),
    ]
    gone = Change(DELETED, _entry("windows", 4), None)
    assert suspects(_dirty(gone), twice) is None
    bulk = [_shot("DELETE", "/api/v1/downloads/release_file/")]  # aims at no one object
    assert suspects(_dirty(gone), bulk) is None
    assert suspects(Judgement(), twice) is None  # a clean batch names nobody


ADMIN = Principal("admin", "admin", Role.STAFF, api_key="a" * 40, token="b" * 40)
PRINCIPALS = Principals((ADMIN,))


def test_a_wrong_key_let_through_is_charged_to_the_header_username() -> None:
    wrong = ApiRequest(
        "POST", "/api/v1/downloads/os/", headers=(("Authorization", "ApiKey admin:" + "0" * 40),)
    )
    guest = Bucket("v1", GUEST)
    assert charged(wrong, PRINCIPALS, 201, guest) == Bucket("v1", "admin")
    assert charged(wrong, PRINCIPALS, 429, guest) == Bucket("v1", "admin")
    assert charged(wrong, PRINCIPALS, 401, guest) == guest  # a correct server: refused
    nobody = ApiRequest("GET", "/api/v1/downloads/os/")
    assert charged(nobody, PRINCIPALS, 200, guest) == guest
