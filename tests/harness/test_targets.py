"""targets.toml: every malformed case gives one line that names the file, target and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from authfuzz.principals import Role
from authfuzz.targets import Environment, TargetsFileError, load_target

REPO = Path(__file__).resolve().parents[2]

GOOD_PRINCIPAL = (
    '[[targets.t.principals]]\nname = "a"\nusername = "a"\nrole = "staff"\napi_key = "k"\n'
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ('[targets.t]\nbase_url = "http://x"\n', "nope", "unknown target 'nope'; known targets: t"),
        ('[targets.t]\nenvironment = "local"\n', "t", "targets.t: missing base_url"),
        ('[targets.t]\nbase_url = "ftp://x"\n', "t", "targets.t.base_url: must be an http"),
        (
            '[targets.t]\nbase_url = "http://x"\nenvironment = "prod"\n',
            "t",
            "targets.t.environment: 'prod' is not one of",
        ),
        (
            '[targets.t]\nbase_url = "http://x"\n' + GOOD_PRINCIPAL.replace('"staff"', '"root"'),
            "t",
            "targets.t.principals.a.role: 'root' is not one of staff, user, inactive",
        ),
        (
            '[targets.t]\nbase_url = "http://x"\n' + GOOD_PRINCIPAL + GOOD_PRINCIPAL,
            "t",
            "targets.t.principals: duplicate principal name 'a'",
        ),
        (
            '[targets.t]\nbase_url = "http://x"\n'
            + GOOD_PRINCIPAL.replace(
                'api_key = "k"', 'api_key_env = "AUTHFUZZ_TEST_UNSET_VARIABLE"'
            ),
            "t",
            "targets.t.principals.a.api_key_env: environment variable AUTHFUZZ_TEST_UNSET_VARIABLE is not set",
        ),
        ("[targets.t\n", "t", "not valid TOML"),
        ("[other]\n", "t", "no [targets.NAME] table"),
        ('[targets.t]\nbase_url = "http://x"\nbogus = 1\n', "t", "targets.t: unknown key 'bogus'"),
    ],
    ids=[
        "unknown-target",
        "missing-base-url",
        "bad-base-url",
        "bad-environment",
        "bad-role",
        "duplicate-principal",
        "unset-env",
        "bad-toml",
        "no-targets",
        "unknown-key",
    ],
)
def test_config_error_is_one_line(
    tmp_path: Path, text: str, target: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTHFUZZ_TEST_UNSET_VARIABLE", raising=False)
    path = _write(tmp_path, text)
    with pytest.raises(TargetsFileError) as error:
        load_target(path, target)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message


def test_missing_file_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(TargetsFileError, match=r"file not found .*--targets-file"):
        load_target(tmp_path / "absent.toml", "t")


def test_environment_defaults_to_production(tmp_path: Path) -> None:
    target = load_target(_write(tmp_path, '[targets.t]\nbase_url = "http://x"\n'), "t")
    assert target.environment is Environment.PRODUCTION
    assert target.is_production


def test_env_secrets_are_read_and_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHFUZZ_TEST_KEY", "s3cr3t-value-for-test")
    text = '[targets.t]\nbase_url = "http://x"\n' + GOOD_PRINCIPAL.replace(
        'api_key = "k"', 'api_key_env = "AUTHFUZZ_TEST_KEY"'
    )
    target = load_target(_write(tmp_path, text), "t")
    principal = target.principals.by_name("a")
    assert principal.api_key == "s3cr3t-value-for-test"
    assert principal.role is Role.STAFF
    assert "s3cr3t" not in repr(target)


def test_other_targets_secrets_are_not_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTHFUZZ_TEST_UNSET_VARIABLE", raising=False)
    text = (
        '[targets.good]\nbase_url = "http://x"\n'
        '[targets.t]\nbase_url = "http://y"\n'
        + GOOD_PRINCIPAL.replace('api_key = "k"', 'api_key_env = "AUTHFUZZ_TEST_UNSET_VARIABLE"')
    )
    assert load_target(_write(tmp_path, text), "good").base_url == "http://x"


def test_repository_testbed_target_matches_the_testbed_accounts() -> None:
    from testbed.principals import ACCOUNTS

    target = load_target(REPO / "targets.toml", "testbed")
    assert target.start == "testbed"
    assert target.environment is Environment.LOCAL
    for account in ACCOUNTS:
        principal = target.principals.by_name(account.name)
        assert (principal.username, principal.role.value) == (account.username, account.role)
        assert (principal.api_key, principal.token, principal.password) == (
            account.api_key,
            account.token,
            account.password,
        )


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["clean", "--ledger", "{ledger}"],
        ["repro", "{poc}"],
        ["budget"],
        ["export-auth"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_command_finds_the_targets_file_the_same_way(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """$AUTHFUZZ_TARGETS_FILE is read by every command, as by the run whose end screen
    prints them: a command that looked at ./targets.toml instead would refuse a target the
    run used, or worse, act on another file's target of the same name."""
    from authfuzz import cli
    from authfuzz.custody.custodian import START_DIGEST
    from authfuzz.layout import REPO

    pocs = REPO / "pocs"

    ledger = tmp_path / "ledger"
    ledger.mkdir()
    (ledger / START_DIGEST).write_text("{}")
    poc = tmp_path / "poc.toml"
    poc.write_text(next(pocs.glob("*.toml")).read_text())
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('[targets.mine]\nbase_url = "http://127.0.0.1:9"\n')
    monkeypatch.setenv("AUTHFUZZ_TARGETS_FILE", str(elsewhere))
    monkeypatch.chdir(tmp_path)  # no ./targets.toml here
    argv = [a.format(ledger=ledger, poc=poc) for a in command] + ["--target", "nosuch"]
    code = cli.main(argv)
    out = capsys.readouterr()
    assert code == 2
    assert f"{elsewhere}: unknown target 'nosuch'; known targets: mine" in out.out + out.err
