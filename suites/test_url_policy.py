"""The gate's second invariant: no release-file URL outside the policy is ever stored.

Written as the trusted staff principal (the strongest writer there is: if staff cannot store a
foreign URL, nobody can), through every write path, judged on the whole state read back: no
release file anywhere may hold a URL the policy rejects where it did not before.

Three tests, one job each:
- every (field, category) pair runs its explicit example, on a path that takes turns so that
  every (path, field) and every (path, category) pair runs too (``checks.url_writes.covering``): a URL rule that
  one path skips is skipped for every field or every category there, so each pair is what must
  be covered; the fuzzed test adds any other combination;
- every other body format each API parses gets every category, the write path and the URL
  field taking turns (``non-string`` stays JSON's: a form or XML field is text);
- Hypothesis draws cases of any category, field and path, for the variety an example cannot give.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authfuzz.checks.url_writes import UrlWrite, WritePath, covering
from authfuzz.engine.engine import Engine
from authfuzz.outcomes import conclude
from authfuzz.travel import BODY_FORMATS
from authfuzz.url_policy import URL_FIELDS
from strategies.urls import CATEGORIES, example_case, url_cases

PATHS = list(WritePath)
OTHER_FORMATS = [
    (api, body_format)
    for api in ("v1", "v2")
    for body_format in BODY_FORMATS[api]
    if body_format != "json"
]
TEXT_CATEGORIES = [c for c in CATEGORIES if c != "non-string"]
FUZZED_PER_EXAMPLE = 4  # URL cases per Hypothesis example: one batch


@pytest.fixture
def url_engine(authfuzz_engine: Engine) -> Engine:
    if authfuzz_engine.bench.target.is_production:
        pytest.skip(
            "production target: URL writes are never attempted; the stored-URL sweep runs instead"
        )
    return authfuzz_engine


@pytest.mark.parametrize("path", PATHS, ids=[p.slug for p in PATHS])
def test_url_categories_never_stored(url_engine: Engine, path: WritePath) -> None:
    prefix = url_engine.bench.target.url_prefix
    trials = [
        UrlWrite(
            path, example_case(prefix, category, field, f"{path.slug}-{field}-{category}"), slot=n
        )
        for n, (_, field, category) in enumerate(t for t in covering(CATEGORIES) if t[0] is path)
    ]
    conclude(url_engine.run(trials).verdicts.values())


@pytest.mark.parametrize(
    ("api", "body_format"), OTHER_FORMATS, ids=[f"{a}-{f}" for a, f in OTHER_FORMATS]
)
def test_url_categories_in_every_body_format(
    url_engine: Engine, api: str, body_format: str
) -> None:
    prefix = url_engine.bench.target.url_prefix
    paths = [p for p in PATHS if p.api.value == api]
    trials = []
    for turn, category in enumerate(TEXT_CATEGORIES):
        path, field = paths[turn % len(paths)], URL_FIELDS[turn % len(URL_FIELDS)]
        case = example_case(prefix, category, field, f"{path.slug}-{body_format}-{category}")
        trials.append(UrlWrite(path, case, body_format, slot=turn))
    conclude(url_engine.run(trials).verdicts.values())


@given(data=st.data())
def test_fuzzed_urls_never_stored(url_engine: Engine, data: st.DataObject) -> None:
    prefix = url_engine.bench.target.url_prefix
    drawn = data.draw(
        st.lists(
            st.tuples(st.sampled_from(PATHS), url_cases(prefix)),
            min_size=FUZZED_PER_EXAMPLE,
            max_size=FUZZED_PER_EXAMPLE,
        ),
        label="url cases",
    )
    trials = [UrlWrite(path, case, slot=n) for n, (path, case) in enumerate(drawn)]
    conclude(url_engine.run(trials).verdicts.values())
