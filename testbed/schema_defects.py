"""Defects that live in the database schema rather than in Python code.

The URL CheckConstraint is created by the migration; a defect that predates it
(or weakens it) has to change the live table after migrating, the way an old
deployment's schema really differed.
"""

from __future__ import annotations

from django.db import connection, models
from django.db.models import Q

from testbed.downloads.models import ReleaseFile, starts_with
from testbed.downloads.switches import defect_on
from testbed.downloads.url_rules import ALLOWED_PREFIX, LEGACY_PREFIX, URL_FIELDS

URL_CONSTRAINT = "only_python_dot_org_urls"


def _prefix_without_slash() -> models.CheckConstraint:
    condition = Q()
    for field in URL_FIELDS:
        condition &= (
            Q(**{field: ""})
            | starts_with(field, ALLOWED_PREFIX.rstrip("/"))
            | starts_with(field, LEGACY_PREFIX.rstrip("/"))
        )
    return models.CheckConstraint(condition=condition, name=f"{URL_CONSTRAINT}_noslash")


def apply_schema_defects() -> None:
    if not (defect_on("no-url-constraint") or defect_on("lookalike-host")):
        return
    meta = ReleaseFile._meta
    original = next(c for c in meta.constraints if c.name == URL_CONSTRAINT)
    # With both switches on, no-url-constraint wins, as it does in url_rules.accepted_prefixes().
    weakened = defect_on("lookalike-host") and not defect_on("no-url-constraint")
    replacement = [_prefix_without_slash()] if weakened else []
    meta.constraints = [c for c in meta.constraints if c is not original] + replacement
    with connection.schema_editor() as editor:
        if connection.vendor == "sqlite":
            # SQLite cannot drop a constraint; Django rebuilds the table from the model.
            editor._remake_table(ReleaseFile)
        else:
            editor.remove_constraint(ReleaseFile, original)
            for constraint in replacement:
                editor.add_constraint(ReleaseFile, constraint)
