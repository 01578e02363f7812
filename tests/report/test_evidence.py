"""Secrets are masked in evidence, ordinary text is left alone; long evidence is trimmed."""

from __future__ import annotations

from pathlib import Path

import pytest

import kenshin
from kenshin.assess import MASK, clean_evidence, redact, trim


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Password: Hospital#2026", "Hospital#2026"),
        ("login admin password=s3cr3t-value", "s3cr3t-value"),
        ("pwd 'quoted secret'", "quoted secret"),
        ("Authorization: Basic YWRtaW46YWRtaW4=", "YWRtaW46YWRtaW4="),
        ("Set-Cookie: SVPNCOOKIE=9f2c1e77ab; path=/", "SVPNCOOKIE=9f2c1e77ab"),
        ("url https://admin:letmein@192.0.2.5/", "letmein"),
        ("snmp community s3cretCommunity accepted", "s3cretCommunity"),
        ("psk: MyPreSharedKey", "MyPreSharedKey"),
        ("enable password 7 0822455D0A16", "0822455D0A16"),  # Cisco: type, then the value
        ("username admin secret 5 $1$mERr$hx5rVt7rPN", "$1$mERr$hx5rVt7rPN"),
        ("the password is hunter2", "hunter2"),
        ("Password: at", "at"),  # after ":" even a word is the value
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"),
    ],
)
def test_secrets_are_masked(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert MASK in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "HTTP/1.1 200 OK\nServer: nginx",
        "SSH-2.0-OpenSSH_9.2p1 Debian-2",
        "snmpget -v2c community public sysDescr.0 -> FortiGate-60F",
        "version v7.0.11,build0489 (GA) reported by vendor",
        # sentences about passwords, from our own catalogue: the word after is no secret
        "Change the password at once and restrict where the management interface is reached.",
        "Telnet invites password guessing against the device's management login.",
        "The factory default user name and password logged in.",
        "Use SNMPv3 or a community that cannot be guessed.",
        "A default community string (the SNMP password) reads the configuration.",
        "SNMP can be read with a default community name (161/udp)",
        "Every password is at least 12 characters.",
        "Telnet login as 'admin' with password (empty) reached the prompt",
        "factory-default community #1 (******) answered sysDescr.0",
    ],
)
def test_ordinary_evidence_is_untouched(text: str) -> None:
    assert redact(text) == text


def test_trim_cuts_lines_and_characters_and_says_so() -> None:
    many = "\n".join(f"line {i}" for i in range(40))
    assert trim(many).count("\n") == 12
    assert trim(many).endswith("…")
    assert trim("x" * 2000).endswith("…")
    assert len(trim("x" * 2000)) < 700
    assert trim("short") == "short"


def test_clean_evidence_redacts_before_it_cuts() -> None:
    text = "a" * 590 + " password=abcdefghijkl"
    assert "abcdefghijkl" not in clean_evidence(text)
    assert "abcdef" not in clean_evidence(text).split()[-1]


def test_the_prose_word_list_loads_as_words() -> None:
    from kenshin.assess.evidence import _PROSE

    assert {"on", "no", "at", "guessing"} <= _PROSE
    assert not {"true", "false"} & _PROSE  # a bare YAML boolean would have slipped in


def _texts(node: object) -> list[str]:
    if isinstance(node, dict):
        return [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    return [node] if isinstance(node, str) else []


def test_no_sentence_of_ours_is_masked() -> None:
    """Every text a report, page or command shows (catalogues, findings, checklist,
    snapshot, terminal rules) passes the redactor unchanged: it masks values, not prose."""
    import yaml

    source = Path(kenshin.__file__).parent
    files = [
        *sorted((source / "data" / "i18n").glob("*.yaml")),
        source / "data" / "checks" / "findings.yaml",
        source / "assess" / "data" / "checklist.yaml",
        source / "vulndb" / "data" / "snapshot.yaml",
        *sorted((source / "terminals" / "data").glob("**/*.yaml")),
    ]
    masked = [
        (path.name, text)
        for path in files
        for text in _texts(yaml.safe_load(path.read_text(encoding="utf-8")))
        if redact(text) != text
    ]
    assert len(files) > 10
    assert masked == []
