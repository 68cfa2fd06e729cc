"""Output formats, kept apart from the checks: each renders one run (``view.ReportView``).

A format is a module with ``FILE`` and ``report(view) -> str`` (``view.Format``); ``writer``
is the one place that writes them. ``junit_report`` annotates pytest's own file instead, and
``terminal_report`` renders the end screen.
"""
