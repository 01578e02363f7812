"""The credential vault: sealed at rest, wrong keys refused, purged on close, never leaked."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from kenshin.domain import Engagement, EngagementStatus
from kenshin.store import AuditLog, EngagementRepository, Store, open_store
from kenshin.store.models_workflow import VaultEntryRow
from kenshin.vault import (
    DeviceAccount,
    Secret,
    Vault,
    VaultError,
    _crypto,
    load_key,
    new_key_text,
    parse_key,
    purge,
)

USERNAME = "maint-admin-7Q"
PASSWORD = "Kx9!vault-Secret-Passw0rd"
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, demo_engagement: Engagement) -> Store:
    opened = open_store(f"sqlite:///{tmp_path / 'vault.sqlite3'}")
    with opened.session() as session:
        EngagementRepository(session).save(demo_engagement)
    return opened


def _account() -> DeviceAccount:
    return DeviceAccount(Secret(USERNAME), Secret(PASSWORD), "V-EHR 遠隔様より受領")


def _db_bytes(store: Store) -> bytes:
    store.dispose()
    url = store.url.removeprefix("sqlite:///")
    data = Path(url).read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = Path(url + suffix)
        if extra.exists():
            data += extra.read_bytes()
    return data


def test_sealed_at_rest_and_revealed_with_the_key(store: Store) -> None:
    key_text = new_key_text()
    key = parse_key(key_text)
    with store.session() as session:
        Vault(session, key).put("demo-2026", "DEV-03", _account(), "調査員A", NOW)
    with store.session() as session:
        account = Vault(session, key).reveal("demo-2026", "DEV-03", "調査員A")
        entries = Vault(session, key).entries("demo-2026", "調査員A")
    assert account.username.reveal() == USERNAME
    assert account.password.reveal() == PASSWORD
    assert account.note == "V-EHR 遠隔様より受領"
    assert [e.device_key for e in entries] == ["DEV-03"]
    raw = _db_bytes(store)
    for secret in (USERNAME, PASSWORD, key_text):
        assert secret.encode() not in raw
        assert secret.encode("utf-16-le") not in raw
    with store.session() as session:
        actions = [e.action for e in AuditLog(session).events("demo-2026")]
    assert actions.count("vault.store") == 1
    assert actions.count("vault.reveal") == 1
    assert "vault.list" in actions


def test_wrong_key_fails_clearly_and_is_audited(store: Store) -> None:
    with store.session() as session:
        Vault(session, parse_key(new_key_text())).put("demo-2026", "DEV-03", _account(), "s", NOW)
    other = parse_key(new_key_text())
    with store.session() as session:
        vault = Vault(session, other)
        with pytest.raises(VaultError) as caught:
            vault.reveal("demo-2026", "DEV-03", "s")
        events = AuditLog(session).events("demo-2026")
    message = caught.value.message("ja")
    assert "鍵が違います" in message
    assert "KENSHIN_VAULT_KEY" in message
    assert PASSWORD not in message
    assert PASSWORD not in repr(caught.value)
    assert events[0].action == "vault.reveal"
    assert events[0].outcome.value == "refused"


def test_tampered_or_moved_ciphertext_cannot_be_opened(store: Store) -> None:
    key = parse_key(new_key_text())
    with store.session() as session:
        vault = Vault(session, key)
        vault.put("demo-2026", "DEV-03", _account(), "s", NOW)
        vault.put("demo-2026", "DEV-02", DeviceAccount(Secret("u"), Secret("p")), "s", NOW)
    with store.session() as session:
        rows = {r.device_key: r for r in session.scalars(select(VaultEntryRow))}
        # Move DEV-03's sealed account onto DEV-02's row: the associated data differs.
        session.execute(
            update(VaultEntryRow)
            .where(VaultEntryRow.id == rows["DEV-02"].id)
            .values(nonce=rows["DEV-03"].nonce, ciphertext=rows["DEV-03"].ciphertext)
        )
    with store.session() as session, pytest.raises(VaultError) as caught:
        Vault(session, key).reveal("demo-2026", "DEV-02", "s")
    assert caught.value.key == "vault.cannot_open"


def test_no_key_and_bad_key_say_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_crypto, "_keyring_text", lambda: None)
    with pytest.raises(VaultError) as caught:
        load_key({})
    assert "kenshin vault keygen" in caught.value.message("ja")
    with pytest.raises(VaultError) as caught:
        load_key({"KENSHIN_VAULT_KEY": "not-a-key"})
    assert caught.value.key == "vault.bad_key"
    key_text = new_key_text()
    assert load_key({"KENSHIN_VAULT_KEY": key_text}).key_id == parse_key(key_text).key_id
    assert "KENSHIN" not in repr(parse_key(key_text))
    assert key_text not in repr(parse_key(key_text))


def test_secrets_never_show_themselves() -> None:
    account = _account()
    for text in (repr(account), str(account), f"{account}", f"{account.password}"):
        assert PASSWORD not in text
        assert USERNAME not in text
    assert account.password.reveal() == PASSWORD


def test_purge_and_automatic_purge_on_close(store: Store, demo_engagement: Engagement) -> None:
    key = parse_key(new_key_text())
    with store.session() as session:
        Vault(session, key).put("demo-2026", "DEV-03", _account(), "s", NOW)
        assert purge(session, "demo-2026", "s") == 1
        assert Vault(session, key).entries("demo-2026", "s") == []
        Vault(session, key).put("demo-2026", "DEV-03", _account(), "s", NOW)
    # Closing the engagement by any route (here: saving a closed engagement) purges.
    with store.session() as session:
        EngagementRepository(session).save(
            dataclasses.replace(demo_engagement, status=EngagementStatus.CLOSED)
        )
    with store.session() as session:
        assert session.scalars(select(VaultEntryRow)).all() == []
        events = AuditLog(session).events("demo-2026")
        with pytest.raises(VaultError) as caught:
            Vault(session, key).put("demo-2026", "DEV-03", _account(), "s", NOW)
    assert caught.value.key == "engagement.closed"
    purges = [e for e in events if e.action == "vault.purge"]
    assert purges[0].details["reason"] == "engagement closed"
    assert purges[0].details["entries"] == "1"
    assert PASSWORD.encode() not in _db_bytes(store)


def test_saving_an_open_engagement_keeps_the_vault(
    store: Store, demo_engagement: Engagement
) -> None:
    key = parse_key(new_key_text())
    with store.session() as session:
        Vault(session, key).put("demo-2026", "DEV-03", _account(), "s", NOW)
    with store.session() as session:
        EngagementRepository(session).save(dataclasses.replace(demo_engagement, title="改題"))
    with store.session() as session:
        assert len(Vault(session, key).entries("demo-2026", "s")) == 1


def _run(
    args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kenshin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


# `kenshin demo` starts the demo lab: in the own-labs xdist group (tests/conftest.py).
@pytest.mark.slow
def test_the_secret_leaks_nowhere_through_the_command_line(
    isolated_env: Path, tmp_path: Path
) -> None:
    db = tmp_path / "cli.sqlite3"
    env = dict(os.environ, KENSHIN_DB_URL=f"sqlite:///{db}", COLUMNS="200")
    env.pop("KENSHIN_VAULT_KEY", None)
    outputs: list[str] = []

    def run(
        *args: str,
        stdin: str = "",
        extra: dict[str, str] | None = None,
        ok: bool = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        result = _run(list(args), {**env, **(extra or {})}, stdin, timeout)
        if ok:
            assert result.returncode == 0, result.stderr
        outputs.extend([result.stdout, result.stderr])
        return result

    # The whole demo check-up (lab, scans, report): a hang guard, not a speed limit; it
    # ran past 120 s on a loaded two-core machine.
    run("demo", timeout=900)
    key_line = run("vault", "keygen").stdout.strip().splitlines()[-1]
    key_text = key_line.split("=", 1)[1]
    env["KENSHIN_VAULT_KEY"] = key_text
    run(
        "--debug",
        "vault",
        "put",
        "demo-2026",
        "DEV-03",
        "--stdin",
        stdin=f"{USERNAME}\n{PASSWORD}\n",
    )
    run("--debug", "vault", "list", "demo-2026")
    run("--debug", "vault", "list", "demo-2026", "--json")
    run("--debug", "vault", "show", "demo-2026", "DEV-03")
    revealed = _run(["vault", "show", "demo-2026", "DEV-03", "--reveal"], env)
    assert revealed.returncode == 0, revealed.stderr
    assert PASSWORD in revealed.stdout  # the one place it may appear: asked for explicitly
    assert USERNAME in revealed.stdout
    wrong = dict(KENSHIN_VAULT_KEY=new_key_text())
    failed = run(
        "--debug", "vault", "show", "demo-2026", "DEV-03", "--reveal", extra=wrong, ok=False
    )
    assert failed.returncode != 0
    assert "VaultError" in failed.stderr  # the traceback is there, the secret is not
    plain = run("vault", "show", "demo-2026", "DEV-03", "--reveal", extra=wrong, ok=False)
    assert "鍵が違います" in plain.stderr
    run(
        "--debug",
        "vault",
        "put",
        "demo-2026",
        "DEV-99",
        "--stdin",
        stdin=f"{USERNAME}\n{PASSWORD}\n",
        ok=False,
    )
    run("engagement", "export", "demo-2026")
    run("engagement", "show", "demo-2026", "--json")
    run("targets", "history", "demo-2026", "--all", "--json")
    run("requests", "draft", "demo-2026")
    run("requests", "list", "--json")
    for index, output in enumerate(outputs):
        assert PASSWORD not in output, f"output {index} leaks the password"
        assert USERNAME not in output, f"output {index} leaks the account name"
        assert key_text not in output or index < 4, f"output {index} shows the key"
    raw = db.read_bytes()
    assert PASSWORD.encode() not in raw
    assert USERNAME.encode() not in raw
    assert key_text.encode() not in raw

    # Closing the engagement through an imported file purges the vault.
    exported = tmp_path / "closed.yaml"
    run("engagement", "export", "demo-2026", "-o", str(exported))
    text = exported.read_text(encoding="utf-8").replace("status: surveying", "status: closed")
    exported.write_text(text, encoding="utf-8")
    run("engagement", "import", str(exported))
    listing = run("vault", "list", "demo-2026", "--json")
    assert listing.stdout.strip() == "[]"
    history = run("targets", "history", "demo-2026", "--all", "--json").stdout
    assert "vault.purge" in history
    assert "vault.reveal" in history


@pytest.mark.postgres
def test_vault_on_postgresql(postgres_url: str, demo_engagement: Engagement) -> None:
    store = open_store(postgres_url)
    key = parse_key(new_key_text())
    try:
        with store.session() as session:
            EngagementRepository(session).save(demo_engagement)
            Vault(session, key).put("demo-2026", "DEV-03", _account(), "s", NOW)
        with store.session() as session:
            account = Vault(session, key).reveal("demo-2026", "DEV-03", "s")
            raw = session.scalars(select(VaultEntryRow.ciphertext)).all()
        assert account.password.reveal() == PASSWORD
        assert all(PASSWORD.encode() not in bytes(blob) for blob in raw)
        with store.session() as session:
            EngagementRepository(session).save(
                dataclasses.replace(demo_engagement, status=EngagementStatus.CLOSED)
            )
        with store.session() as session:
            assert session.scalars(select(VaultEntryRow)).all() == []
    finally:
        store.dispose()
