"""Custody of the target's data: a run leaves it as it found it.

- ``lock``: one lock per target for every process of a run (shared while a batch is in
  flight, exclusive while a change must be one's own);
- ``ledger``: what the run created or could have created, registered before each request;
- ``reconcile``: from a world read before and the state now, what to remove, recreate and put back;
- ``protector``: a snapshot before, and a reconciliation after, every request that could reach
  data that is not the run's own on a vulnerable server (a bulk delete, a method override, a
  nested write, a new latest release), and after every batch of trials that changed what it
  may not, so that a gate never destroys a staging database;
- ``custodian``: the start and end of a run on one target, and the report the end screen and
  ``findings.json`` show (``target state: unchanged``, or exactly what was restored or left).
"""
