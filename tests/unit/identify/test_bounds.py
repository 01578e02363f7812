"""Network text is bounded where it enters: a giant banner never becomes a giant product.

The property tests feed random bytes (alone, and behind the first bytes real services
send) to every decoder and every match rule of the shipped knowledge, render what a
hit would make of them, and check that nothing escapes and every field stays in bounds.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kenshin.domain import Finding, FindingCategory, FindingSubject, Severity
from kenshin.domain.bounds import (
    CPE_MAX,
    EXTRA_MAX,
    NAME_MAX,
    TEXT_MAX,
    bound_finding,
    bound_identity,
    bounded,
)
from kenshin.domain.scan import PortResult, PortState, Protocol, ServiceIdentity
from kenshin.identify import identify_port
from kenshin.identify._decoders import _SIMPLE, decode, printable
from kenshin.identify._http import parse_response
from kenshin.identify.engine import _match
from kenshin.identify.rules import load_knowledge, render, render_cpes

from .conftest import FAST, tcp_server
from .servers import GATE

GIANT = b"SSH-2.0-" + b"A" * 1_048_576  # the banner: 1 MB, no newline

# first bytes real services send, so that random tails reach the rules' capture groups
PREFIXES = (
    b"",
    b"SSH-2.0-",
    b"220 ",
    b"HTTP/1.1 200 OK\r\nServer: ",
    b"\x16\x03\x01",
    b"RFB 003.008\n",
    b"* OK ",
    b"+OK ",
)


def within_bounds(identity: ServiceIdentity) -> None:
    for name in (identity.service, identity.product, identity.version):
        assert len(name) <= NAME_MAX
        assert name.isprintable()
    assert len(identity.evidence) <= TEXT_MAX
    assert identity.evidence.isprintable()
    assert len(identity.cpe) <= CPE_MAX
    assert len(identity.extra) <= EXTRA_MAX
    for key, value in identity.extra:
        assert len(key) <= NAME_MAX
        assert len(value) <= TEXT_MAX
        assert value.isprintable()


def test_the_giant_banner_is_cut_with_a_note() -> None:
    product = bounded(GIANT.decode("latin-1"), NAME_MAX)
    assert len(product) == NAME_MAX
    assert product.startswith("SSH-2.0-AAAA")
    assert product.endswith("(cut; 1048584 bytes seen)")


def test_control_characters_are_escaped_once() -> None:
    once = bounded("OpenSSH\x1b[31m\r\nevil\u202e")
    assert once == "OpenSSH\\x1b[31m\\x0d\\x0aevil\\u202e"
    assert bounded(once) == once
    assert bounded("日本語の表題") == "日本語の表題"  # printable text is kept as it is


def test_short_clean_fields_are_untouched() -> None:
    identity = ServiceIdentity("ssh", "OpenSSH", "9.2p1", evidence="SSH-2.0-OpenSSH_9.2p1")
    assert bound_identity(identity) == identity


def test_a_findings_evidence_is_bounded() -> None:
    finding = Finding(
        check_id="exposure.test",
        category=FindingCategory.EXPOSURE,
        severity=Severity.LOW,
        title_ja="t",
        title_en="t",
        subject=FindingSubject(address="192.0.2.1", port=22, protocol="tcp"),
        evidence="banner: " + "A" * 100_000 + "\x00",
    )
    bounded_finding = bound_finding(finding)
    assert len(bounded_finding.evidence) == TEXT_MAX
    assert "bytes seen" in bounded_finding.evidence
    assert bound_finding(bounded_finding) == bounded_finding


@given(st.text(max_size=20_000), st.integers(min_value=40, max_value=4096))
@settings(max_examples=200, deadline=None)
def test_bounded_is_bounded_printable_and_idempotent(text: str, limit: int) -> None:
    shown = bounded(text, limit)
    assert len(shown) <= limit
    assert shown.isprintable()
    assert bounded(shown, limit) == shown


@given(st.binary(max_size=4096))
@settings(max_examples=150, deadline=None)
def test_every_decoder_survives_random_bytes(data: bytes) -> None:
    knowledge = load_knowledge()
    for name in (*_SIMPLE, "ike"):
        decoded = decode(name, data, knowledge.vendor_ids)
        assert isinstance(decoded.text, str)
    parse_response("/", b"HTTP/1.1 " + data)


@given(st.sampled_from(PREFIXES), st.binary(max_size=3000))
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_every_rule_on_random_bytes_gives_a_bounded_identity(prefix: bytes, tail: bytes) -> None:
    knowledge = load_knowledge()
    raw = prefix + tail
    for probe in knowledge.probes:
        for hit in _match(knowledge, probe, raw, None):
            if hit is None:
                continue
            rule, captures = hit.rule, hit.captures
            version = render(rule.version, captures)
            identity = ServiceIdentity(
                service=rule.service,
                product=render(rule.product, captures),
                version=version,
                cpe=render_cpes(rule.cpe, {**captures, "version": version}),
                evidence=f"{probe.name} → rule {rule.id}: {printable(raw, 120)}",
                extra=tuple((k, render(v, captures)) for k, v in rule.extra)
                + tuple(hit.decoded.facts),
            )
            within_bounds(bound_identity(identity))


@pytest.mark.timeout(90)
def test_identification_of_the_giant_banner_keeps_a_bounded_product() -> None:
    async def giant(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(GIANT)
            await writer.drain()
            await asyncio.wait_for(reader.read(1024), timeout=2)
        except (ConnectionError, TimeoutError):
            pass
        writer.close()

    async def go() -> PortResult:
        async with tcp_server(giant) as port:
            return await identify_port(
                "127.0.0.1", PortResult(Protocol.TCP, port, PortState.OPEN), FAST, gate=GATE
            )

    result = asyncio.run(go())
    assert result.identity is not None
    within_bounds(result.identity)
    assert "AAAA" in result.identity.product + result.identity.evidence


def test_a_64_kb_datagram_is_not_an_ntp_reply() -> None:
    """The lab's UDP flood answers every probe with 64 KB; an NTP server's reply is a
    48-byte header (and perhaps a MAC), so only that is read as NTP."""
    from kenshin.identify._decoders import NTP_LARGEST, ntp

    header = bytes([0x24, 2, 6, 0xEC]) + bytes(8) + bytes([192, 0, 2, 1]) + bytes(32)
    assert "ntp.mode: 4" in ntp(header).text
    assert ntp(header + bytes(20)).text.startswith("ntp.version")  # with a MAC
    flood = header + bytes(65_536 - len(header))
    assert len(flood) > NTP_LARGEST
    assert ntp(flood).text == "ntp.malformed"
