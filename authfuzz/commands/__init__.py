"""The ``authfuzz`` subcommands, one module each (``authfuzz.cli`` dispatches to them).

Each names its target the same way (``targeting``): ``--target``, ``--targets-file``, and the
same default file (``$AUTHFUZZ_TARGETS_FILE``, else ./targets.toml) as the gate's plugin.
"""
