"""Secrets are masked in evidence, ordinary text is left alone; long evidence is trimmed."""

from __future__ import annotations

import pytest

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
