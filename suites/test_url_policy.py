"""The gate's second invariant: no release-file URL outside the policy is ever stored.

Written as the trusted staff principal (the strongest writer there is: if
staff cannot store a foreign URL, nobody can), through every write path, for
every URL field, judged on what a read-back shows. Explicit examples cover
every category on every path and field; Hypothesis adds variety on top.

Every other body format each API parses gets every category too, the write
path and the URL field taking turns (a covering set: a rule that one parser
skips is skipped for every field and method alike, so the category is what
must vary). ``non-string`` stays
JSON's: a form or XML field is text, so the category does not exist there.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authfuzz.outcomes import settle
from authfuzz.travel import BODY_FORMATS
from authfuzz.url_policy import URL_FIELDS
from authfuzz.url_writes import WritePath, check_url_write
from authfuzz.workbench import Workbench
from strategies.urls import CATEGORIES, example_case, url_cases

PATHS = list(WritePath)
OTHER_FORMATS = [
    (api, body_format)
    for api in ("v1", "v2")
    for body_format in BODY_FORMATS[api]
    if body_format != "json"
]
TEXT_CATEGORIES = [c for c in CATEGORIES if c != "non-string"]


@pytest.fixture
def url_workbench(authfuzz_workbench: Workbench) -> Workbench:
    if authfuzz_workbench.target.is_production:
        pytest.skip(
            "production target: URL writes are never attempted; the stored-URL sweep runs instead"
        )
    return authfuzz_workbench


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("field", URL_FIELDS)
@pytest.mark.parametrize("path", PATHS, ids=[p.slug for p in PATHS])
def test_url_category_example(
    url_workbench: Workbench, path: WritePath, field: str, category: str
) -> None:
    nonce = f"{path.slug}-{field}-{category}"
    case = example_case(url_workbench.target.url_prefix, category, field=field, nonce=nonce)
    settle(check_url_write(url_workbench, path, case))


@pytest.mark.parametrize("category", TEXT_CATEGORIES)
@pytest.mark.parametrize(
    ("api", "body_format"), OTHER_FORMATS, ids=[f"{a}-{f}" for a, f in OTHER_FORMATS]
)
def test_url_category_in_every_body_format(
    url_workbench: Workbench, api: str, body_format: str, category: str
) -> None:
    turn = TEXT_CATEGORIES.index(category)
    paths = [p for p in PATHS if p.api.value == api]
    path, field = paths[turn % len(paths)], URL_FIELDS[turn % len(URL_FIELDS)]
    nonce = f"{path.slug}-{body_format}-{category}"
    case = example_case(url_workbench.target.url_prefix, category, field=field, nonce=nonce)
    settle(check_url_write(url_workbench, path, case, body_format))


@pytest.mark.parametrize("path", PATHS, ids=[p.slug for p in PATHS])
@given(data=st.data())
def test_fuzzed_urls_never_stored(
    url_workbench: Workbench, path: WritePath, data: st.DataObject
) -> None:
    case = data.draw(url_cases(url_workbench.target.url_prefix), label="url case")
    settle(check_url_write(url_workbench, path, case))
