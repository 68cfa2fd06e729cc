"""The target's throttles: who spends what, before and during a run.

python.org counts requests per identity: v1 allows 600 an hour to each username with a valid
key (and to each guest address), v2 3,000 a day to each user token and 100 a day to
anonymous clients; only requests that pass authentication (and, on v2, permission) count, so
the gate's negative attempts cost nothing on a correct server (release-api.md section 5).

- ``rates``: the throttle classes and their limits (``throttles`` in targets.toml);
- ``buckets``: which bucket a request is counted in, and whether its answer was counted;
- ``tally``: what each bucket has spent in this process, and buckets that answered 429 with a
  long ``Retry-After`` (later requests to them are not sent at all);
- ``plan``: before the run, what each bucket will spend, against the limits.
"""
