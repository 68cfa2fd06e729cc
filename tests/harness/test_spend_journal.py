"""The spend journal: what each bucket of a target spent, across runs, in sliding windows."""

from __future__ import annotations

from pathlib import Path

from authfuzz.throttles.journal import Journal
from authfuzz.throttles.rates import Rate

DAY = Rate(3000, "day")
HOUR = Rate(600, "hour")
T0 = 1_800_000_000.0


def test_what_is_left_and_when_the_window_reopens(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "spend.json")
    journal.record("staging", "v2 admin", 1000, T0)
    journal.record("staging", "v2 admin", 1500, T0 + 3600)
    assert journal.left("staging", "v2 admin", DAY, T0 + 7200) == 500
    # 900 fit once the first run's 1,000 leave the window, a day after it was sent
    assert journal.reopens("staging", "v2 admin", DAY, 900, T0 + 7200) == T0 + 86_400
    assert journal.reopens("staging", "v2 admin", DAY, 400, T0 + 7200) == T0 + 7200  # now
    assert journal.left("staging", "v2 admin", DAY, T0 + 86_401) == 1500  # the first left
    assert journal.left("staging", "v2 admin", DAY, T0 + 3600 + 86_401) == 3000


def test_a_429_marks_the_bucket_spent_until_its_retry_after(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "spend.json")
    journal.record("staging", "v2 admin", 100, T0)  # the journal thought 2,900 were left
    journal.exhausted("staging", "v2 admin", DAY, until=T0 + 5000, now=T0 + 10)
    assert journal.left("staging", "v2 admin", DAY, T0 + 10) == 0
    assert journal.reopens("staging", "v2 admin", DAY, 1, T0 + 10) == T0 + 5000


def test_targets_and_identities_are_kept_apart_and_survive_a_save(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "spend.json"
    journal = Journal(path)
    journal.record("staging", "v2 admin", 1000, T0)
    journal.record("staging", "v2 user", 10, T0)
    journal.record("production", "v2 admin", 7, T0)
    journal.record("staging", "v1 admin", 599, T0)
    journal.save()
    again = Journal.load(path)
    assert again.note == ""
    assert again.left("staging", "v2 admin", DAY, T0 + 1) == 2000
    assert again.left("staging", "v2 user", DAY, T0 + 1) == 2990
    assert again.left("production", "v2 admin", DAY, T0 + 1) == 2993
    assert again.left("staging", "v1 admin", HOUR, T0 + 1) == 1
    assert again.left("staging", "v1 admin", HOUR, T0 + 3601) == 600  # an hour later


def test_a_missing_or_corrupt_file_is_a_fresh_start_with_one_line(tmp_path: Path) -> None:
    missing = Journal.load(tmp_path / "nothing.json")
    assert missing.spends == {} and missing.note == ""
    corrupt = tmp_path / "spend.json"
    corrupt.write_text("{not json")
    journal = Journal.load(corrupt)
    assert journal.spends == {}
    assert (
        journal.note.startswith(f"spend journal {corrupt} unreadable") and "\n" not in journal.note
    )
    journal.record("staging", "v2 admin", 1, T0)
    journal.save()
    assert Journal.load(corrupt).left("staging", "v2 admin", DAY, T0) == 2999


def test_old_spends_are_forgotten(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "spend.json")
    journal.record("staging", "v2 admin", 5, T0)
    journal.record("staging", "v2 admin", 6, T0 + 90_000)
    journal.forget_before(T0 + 90_001)
    assert [s.count for s in journal.spends[("staging", "v2 admin")]] == [6]
