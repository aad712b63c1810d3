"""`kasir staff add` creates an account on a fresh database (migrating it first), reading the
password from a prompt asked twice or from standard input, never from an argument; and a
simulated run gets a demo admin with a fresh password each time."""

import asyncio
import io
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from adapters.crypto.passwords import Argon2PasswordHasher
from entrypoints import cli
from entrypoints.demo_data import DEMO_ADMIN
from entrypoints.settings import load_settings

pytestmark = pytest.mark.integration
PASSWORD = "first-admin-password"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "fresh.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.delenv("KASIR_STAFF_TOKENS", raising=False)
    return path


def accounts(database: Path) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(database)) as connection:
        return list(connection.execute("SELECT name, role, password_hash FROM staff_accounts"))


def add(monkeypatch: pytest.MonkeyPatch, name: str, stdin: str, role: str = "admin") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(["staff", "add", name, "--role", role, "--password-stdin"])


def test_the_first_admin_is_added_from_standard_input_on_a_fresh_database(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(monkeypatch, "Ani", f"{PASSWORD}\n") == 0

    [(name, role, password_hash)] = accounts(database)
    assert (name, role) == ("Ani", "admin")
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("stdin", "says"),
    [("short\n", "10 to 256 characters"), (f"{PASSWORD}\n", "another account has this name")],
)
def test_a_refused_account_says_why_and_adds_nothing(
    database: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stdin: str,
    says: str,
) -> None:
    assert add(monkeypatch, "Ani", f"{PASSWORD}\n") == 0

    assert add(monkeypatch, "ANI", stdin, role="cashier") == 1

    assert says in capsys.readouterr().err
    assert [a[:2] for a in accounts(database)] == [("Ani", "admin")]


def test_the_prompted_password_must_be_typed_the_same_twice(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))

    assert cli.main(["staff", "add", "Ani", "--role", "admin"]) == 1

    assert "differ" in capsys.readouterr().err
    assert not database.exists() or accounts(database) == []


def test_each_simulated_run_gives_the_demo_admin_a_new_password(database: Path) -> None:
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{database}")
    hasher = Argon2PasswordHasher()

    first = asyncio.run(cli._prepare_database(settings))  # what `serve` runs
    second = asyncio.run(cli._prepare_database(settings))

    [(name, role, password_hash)] = accounts(database)
    assert (name, role) == (DEMO_ADMIN, "admin")
    assert first is not None
    assert second not in (None, first)
    assert asyncio.run(hasher.verify(second, password_hash))
    assert not asyncio.run(hasher.verify(first, password_hash))
