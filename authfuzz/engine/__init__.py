"""The check engine: every check of the gate is a set of trials, run the same way.

A *trial* is one request with the identity it presents and what it may change (``trial``).
The engine (``engine``) sends trials in *batches* between two reads of the whole reachable
state, every field of every OS, release and release file, the run's own and everyone else's
(``changes`` says what differs). A batch whose read shows nothing it may not explain proves
every trial in it harmless with one read; a batch that changed something is *bisected* from
fresh state down to the trials that caused it; and a trial is reported only after it did so
again *alone*, with nothing else of the run in flight (``lock``). What a change of that kind
means for each invariant is the business of ``judge``; restoring what a trial destroyed
belongs to custody, which the engine calls.

Search and oracle stay apart: a new kind of trial (``authfuzz.checks``) never needs a new way
of judging, and a new property of the state never needs new trials.
"""
