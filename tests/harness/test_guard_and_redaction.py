"""The production guard and redaction, as units; the suite-level proofs are in test_gate_runs.py."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authfuzz.client import ApiRequest, Client, render_curl
from authfuzz.client.guard import ProductionGuardError, could_change_state
from authfuzz.layout import DEFAULT_SPEC
from authfuzz.principals import Principal, Principals, Role
from authfuzz.redaction import FRAGMENT, MIN_SHARED, Redactor
from authfuzz.targets import DEFAULT_URL_PREFIX, Environment, Target

KEY = "6ac8bf0c6b2be6850ac1e51abbfb3a85a328b1bc"
TOKEN = "5a34358ffdb1010cebeafc9819a4e0b0a08c07c3"
PRINCIPALS = Principals(
    (Principal("admin", "admin", Role.STAFF, api_key=KEY, token=TOKEN, password="pw-of-admin-123"),)
)


@pytest.mark.parametrize(
    ("method", "headers", "body", "safe"),
    [
        ("GET", (), False, True),
        ("HEAD", (), False, True),
        ("OPTIONS", (), False, True),
        ("get", (), False, True),
        ("POST", (), False, False),
        ("PUT", (), True, False),
        ("PATCH", (), True, False),
        ("DELETE", (), False, False),
        ("GET", ("X-HTTP-Method-Override",), False, False),
        ("GET", ("x-http-method",), False, False),
        ("GET", ("X-Method-Override",), False, False),
        ("GET", (), True, False),
    ],
)
def test_could_change_state(method: str, headers: tuple[str, ...], body: bool, safe: bool) -> None:
    assert (could_change_state(method, headers, body) is None) is safe


@pytest.mark.parametrize("name", ["_method", "_METHOD", "_Method"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_method_parameter_in_the_query_string_could_change_state(name: str, method: str) -> None:
    reason = could_change_state(method, (), False, (name,))
    assert reason is not None and name in reason
    assert could_change_state(method, (), False, ("release", "method")) is None


def test_every_override_of_the_travel_table_is_refused_for_production() -> None:
    """The guard and the table cannot drift apart: each row's carrier is refused on each carrier."""
    from authfuzz.travel import METHOD_OVERRIDES, Where

    for row in METHOD_OVERRIDES:
        for carrier in row.carriers:
            headers = (row.name,) if row.where is Where.HEADER else ()
            params = (row.name,) if row.where is Where.QUERY else ()
            body = row.where is Where.FORM
            assert could_change_state(carrier, headers, body, params) is not None, (row, carrier)


def test_client_refuses_writes_to_production_before_any_network_io() -> None:
    # Port 9 on loopback: nothing listens, so a request that slipped through would raise
    # TargetUnreachableError instead of ProductionGuardError.
    target = Target(
        name="prod",
        base_url="http://127.0.0.1:9",
        environment=Environment.PRODUCTION,
        url_prefix=DEFAULT_URL_PREFIX,
        principals=PRINCIPALS,
        spec=DEFAULT_SPEC,
    )
    client = Client(target)
    for request in (
        ApiRequest("POST", "/api/v1/downloads/os/", json_body={"name": "x"}),
        ApiRequest("DELETE", "/api/v2/downloads/os/1/"),
        ApiRequest(
            "GET", "/api/v1/downloads/os/1/", headers=(("X-HTTP-Method-Override", "DELETE"),)
        ),
    ):
        with pytest.raises(ProductionGuardError, match="production target 'prod'"):
            client.send(request)
    assert client.sent == 0


@pytest.mark.parametrize(
    "leak",
    [
        KEY,
        KEY[:-1],
        KEY + "0",
        KEY.upper(),
        KEY[:20] + "x" + KEY[21:],
        TOKEN,
        base64.b64encode(f"admin:{KEY}".encode()).decode(),
        "pw-of-admin-123",
        KEY[:6] + "\u3000" + KEY[6:],
        KEY[:20] + "\x00" + KEY[20:],
    ],
    ids=[
        "exact",
        "prefix",
        "extension",
        "upper",
        "one-off",
        "token",
        "basic",
        "password",
        "split-by-fullwidth-space",
        "split-by-nul",
    ],
)
def test_redactor_masks_secrets_and_near_misses(leak: str) -> None:
    redactor = Redactor.for_principals(PRINCIPALS)
    text = f"Authorization: ApiKey admin:{leak} and more"
    redacted = redactor.redact(text)
    assert redactor.contains_secret(text)
    assert not redactor.contains_secret(redacted)
    assert KEY[:FRAGMENT] not in redacted.lower() and KEY[-FRAGMENT:] not in redacted.lower()
    assert "Authorization: ApiKey admin:" in redacted


def test_redactor_keeps_ordinary_text() -> None:
    redactor = Redactor.for_principals(PRINCIPALS)
    text = "POST /api/v1/downloads/release_file/ name=authfuzz-1234abcd url=https://www.python.org/ftp/x.tgz"
    assert redactor.redact(text) == text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([KEY, TOKEN, "pw-of-admin-123", "k"]).flatmap(
                lambda secret: st.integers(0, len(secret)).flatmap(
                    lambda i: st.integers(i, len(secret)).map(lambda j: secret[i:j])
                )
            ),
            st.text(alphabet="0123456789abcdefABCDEF-_./=+ ", max_size=12),
        ),
        max_size=6,
    ).map("".join)
)
def test_the_shared_stretch_test_answers_as_its_definition(value: str) -> None:
    """The redactor looks stretches up in a precomputed set; it must say exactly what the plain
    definition says: some MIN_SHARED-long stretch of a secret, or a shorter secret whole, is
    in the value (case aside)."""
    extra = Principal("short", "short", Role.USER, api_key="k")
    redactor = Redactor.for_principals(Principals((*PRINCIPALS, extra)))
    lowered = value.lower()
    expected = any(
        secret.lower() in lowered
        if len(secret) < MIN_SHARED
        else any(
            secret.lower()[i : i + MIN_SHARED] in lowered
            for i in range(len(secret) - MIN_SHARED + 1)
        )
        for secret, _ in redactor.placeholders
    )
    assert redactor._shares_secret(value) == expected


def test_curl_uses_environment_variables_for_secrets() -> None:
    redactor = Redactor.for_principals(PRINCIPALS)
    request = ApiRequest(
        "POST",
        "/api/v1/downloads/os/",
        headers=(("Authorization", f"ApiKey admin:{KEY}"),),
        json_body={"name": "x"},
        cookies=(("sessionid", "abcdefabcdefabcdef"),),
    )
    curl = render_curl("http://127.0.0.1:1", request, redactor)
    assert KEY not in curl and "abcdefabcdefabcdef" not in curl
    assert "${AUTHFUZZ_ADMIN_API_KEY}" in curl
    assert "${AUTHFUZZ_SESSIONID}" in curl


def test_an_internal_error_of_the_cli_masks_anything_like_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from authfuzz.cli import internal_error

    try:
        raise ValueError(f"bad header ApiKey admin:{KEY} for {TOKEN}")
    except ValueError as raised:
        error = raised
    for debug in ("", "1"):
        monkeypatch.setenv("AUTHFUZZ_DEBUG", debug)
        text = internal_error("repro", error)
        assert text.startswith("authfuzz repro: internal error: ValueError: bad header ApiKey")
        assert not Redactor.for_principals(PRINCIPALS).contains_secret(text)
        if not debug:  # the way to the traceback is readable, not masked as a secret
            assert text.endswith(" (AUTHFUZZ_DEBUG=1 shows the traceback)"), text
    assert "Traceback" in text
