"""The command line answers bad input with one line and an exit code (2: usage or settings, 1: a
failure at run time), never a traceback; `--help` explains every option; `--version`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterator

import pytest

from comptoir.cli import build_parser, main
from libs.common.errors import UsageError
from libs.common.serving import run_command
from libs.common.settings import Settings, get_settings
from tests.cli_in_process import logging_restored


def _walk(parser: argparse.ArgumentParser, path: list[str]) -> list[tuple[list[str], argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _walk(sub, [*path, name])
    return found


def test_help_explains_every_command_and_option() -> None:
    missing = []
    for path, parser in _walk(build_parser(), []):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{' '.join([*path, c.dest])} (command)" for c in action._choices_actions if not c.help]
            elif not isinstance(action, argparse._HelpAction) and action.help in (None, "", argparse.SUPPRESS):
                missing.append(f"{' '.join(path)} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, "options without help: " + ", ".join(missing)


def test_every_help_page_prints(capsys: pytest.CaptureFixture[str]) -> None:
    for path, _ in _walk(build_parser(), []):
        with pytest.raises(SystemExit) as done:
            build_parser().parse_args([*path, "--help"])
        assert done.value.code == 0, path
    assert "-k K" in capsys.readouterr().out


def test_an_unexpected_failure_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> int:
        raise KeyError("no such thing")

    def misused() -> int:
        raise UsageError("no queue named x")

    assert run_command(broken) == 1
    assert run_command(misused) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["comptoir: error: KeyError: 'no such thing' (--log-level DEBUG shows the traceback)",
                     "comptoir: error: no queue named x"]


async def _run(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "comptoir", *argv, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


IN_PROCESS: list[tuple[list[str], dict[str, str], int, str]] = [
    (["replay", "chat.purchases", "--type", "chat.turn"], {}, 2, "chat.purchases does not consume chat.turn"),
    (["replay", "chat.purchases", "--since", "yesterday"], {}, 2, "argument --since"),
    (["status"], {"DATABASE_URL": "notaurl"}, 2, "DATABASE_URL must be a postgresql:// URL"),
    (["migrate"], {"DATABASE_URL": "postgresql://u:secret@db.example:99999/x"}, 2, "DATABASE_URL has an invalid port"),
    (["check"], {"AMQP_URL": "http://127.0.0.1:5672/"}, 2, "AMQP_URL must be a amqp:// URL"),
    (["status"], {"COMPTOIR_DELIVERY_LIMIT": "many"}, 2, "COMPTOIR_DELIVERY_LIMIT"),
    (["nosuch"], {}, 2, "invalid choice: 'nosuch'"),
    (["search", "-k", "many", "lampe"], {}, 2, "argument -k: invalid int value"),
    (["serve", "nosuch"], {}, 2, "argument service: invalid choice"),
    (["--log-level", "loud", "status"], {}, 2, "argument --log-level"),
]


def _assert_one_line(argv: list[str], err: str, reason: str) -> None:
    assert "Traceback" not in err, (argv, err)
    assert "secret" not in err, (argv, err)  # a URL's password never shows
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and reason in lines[0], (argv, err)


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """main() points the logs at the captured stderr, closed after the test: put them back."""
    with logging_restored():
        yield


@pytest.mark.parametrize(("argv", "env", "code", "reason"), IN_PROCESS, ids=lambda v: str(v)[:40])
def test_bad_input_gets_one_line_and_an_exit_code(argv: list[str], env: dict[str, str], code: int, reason: str,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        returncode = main(argv)
    except SystemExit as exc:  # argparse
        returncode = int(exc.code or 0)
    finally:
        get_settings.cache_clear()
    _assert_one_line(argv, capsys.readouterr().err, reason)
    assert returncode == code


async def test_the_real_command_answers_in_one_line(settings: Settings) -> None:
    """As a process: the replay of an unknown queue (a traceback before), an unreachable broker."""
    assert settings.database_url is not None
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "COMPTOIR_DATA_DIR": str(settings.data_dir),
            "DATABASE_URL": settings.database_url.get_secret_value(), "AMQP_URL": settings.amqp_url.get_secret_value(),
            "COMPTOIR_QUEUE_PREFIX": settings.queue_prefix, "LOG_JSON": "true"}
    cases: list[tuple[list[str], dict[str, str], int, str]] = [
        (["replay", "nosuch.queue"], {}, 2, "no service consumes a queue named 'nosuch.queue'"),
        (["check"], {"AMQP_URL": "amqp://guest:guest@127.0.0.1:1/"}, 1, "cannot connect to RabbitMQ"),
    ]
    results = await asyncio.gather(*(_run(argv, {**base, **extra}) for argv, extra, _, _ in cases))
    for (argv, _, code, reason), (returncode, _, err) in zip(cases, results, strict=True):
        _assert_one_line(argv, err, reason)
        assert returncode == code, (argv, returncode, err)


async def test_version() -> None:
    code, out, _ = await _run(["--version"], {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert code == 0 and out.startswith("comptoir ") and out.split()[1][0].isdigit()
