"""Root conftest: load the authfuzz plugin even when the package is not installed.

When it is installed, the ``pytest11`` entry point (named ``authfuzz.plugin.hooks``)
has already registered the same module and pytest skips this line.
"""

pytest_plugins = ["authfuzz.plugin.hooks"]
