"""The pytest wing of authfuzz: the plugin the gate's suites run under.

``hooks`` is the plugin pytest loads (options and hooks, in call order); everything else it
calls lives in a module of its own beside it: ``config`` at the bottom (what a process knows
and the stash keys, importing none of its neighbours), ``options`` (one table for pytest and
``authfuzz run``), ``profiles``, ``fixtures``, ``parametrize`` (what suites call from their
``pytest_generate_tests``), ``planning``, ``unfinished``, ``wire``, ``collector`` and
``closing``. Nothing is imported here, so a suite importing one module loads only that.
"""
