"""Output formats, kept apart from the checks: each module renders the same findings."""
