"""Hostile and broken hosts: tarpits, floods, TLS nonsense, resets, slow talkers.
Identification ends with "unknown"/low confidence, never a hang or a crash (the
pytest timeout is the hang detector, not a timing assertion)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from kenshin.domain.enums import Confidence
from kenshin.domain.scan import PortResult, PortState, Protocol
from kenshin.identify import IdentifySettings, identify_host, identify_port

from . import servers as s
from .conftest import FAST, open_tcp, tcp_server

pytestmark = pytest.mark.timeout(90)


async def _tarpit(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(60)


async def _flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    chunk = bytes(range(256)) * 256
    try:
        for _ in range(80):  # about 5 MB
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def _reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.close()


async def _slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for byte in b"SSH-2.0-OpenSSH_9.2p1\r\n":
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.02)
    await asyncio.sleep(1)
    writer.close()


async def _tls_nonsense(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(10)
    writer.write(b"\x16\x03\x01\x00\x05" + b"\xde\xad\xbe\xef\x00" + b"\x15\x03\x03nonsense")
    await writer.drain()
    writer.close()


def _run(handler: s.Handler, settings: IdentifySettings = FAST) -> PortResult:
    async def go() -> PortResult:
        async with tcp_server(handler) as port:
            return await identify_port(s.HOST, open_tcp(port), settings, gate=s.GATE)

    return asyncio.run(go())


def test_tarpit_gives_unknown_within_the_port_timeout() -> None:
    settings = IdentifySettings(
        connect_timeout=0.5,
        banner_wait=0.3,
        read_timeout=0.3,
        idle_timeout=0.1,
        port_timeout=3.0,
        max_probes=20,
    )
    result = _run(_tarpit, settings)
    assert result.identity is not None
    assert result.identity.confidence is Confidence.LOW
    assert result.identity.product == ""


def test_flood_of_garbage_is_capped() -> None:
    result = _run(
        _flood,
        IdentifySettings(
            banner_bytes=4096, banner_wait=0.5, read_timeout=0.5, idle_timeout=0.1, port_timeout=10
        ),
    )
    assert result.identity is not None
    assert result.identity.confidence is Confidence.LOW
    assert len(result.identity.evidence) < 2000


def test_immediate_reset_is_tcpwrapped() -> None:
    result = _run(_reset)
    assert result.identity is not None
    assert result.identity.service == "tcpwrapped"
    assert result.identity.confidence is Confidence.LOW


def test_slow_banner_still_identified() -> None:
    settings = IdentifySettings(banner_wait=1.0, idle_timeout=0.3, port_timeout=10)
    result = _run(_slow, settings)
    assert result.identity is not None
    assert result.identity.product == "OpenSSH"


def test_tls_nonsense_does_not_crash() -> None:
    result = _run(_tls_nonsense)
    assert result.identity is not None
    assert result.identity.confidence is Confidence.LOW


def test_closed_port_gives_low_confidence_unknown() -> None:
    probe = socket.socket()
    probe.bind((s.HOST, 0))
    port = probe.getsockname()[1]
    probe.close()  # nobody listens there now
    result = asyncio.run(identify_port(s.HOST, open_tcp(port), FAST, gate=s.GATE))
    assert result.identity is not None
    assert result.identity.confidence is Confidence.LOW


def test_identify_host_fills_only_open_ports_and_keeps_order() -> None:
    async def go() -> tuple[PortResult, ...]:
        async with (
            tcp_server(s.banner_then_wait(b"SSH-2.0-OpenSSH_9.6\r\n")) as ssh,
            tcp_server(s.banner_then_wait(b"220 (vsFTPd 3.0.3)\r\n")) as ftp,
        ):
            ports = [
                PortResult(Protocol.TCP, 1, PortState.CLOSED),
                open_tcp(ssh),
                PortResult(Protocol.UDP, 9, PortState.OPEN_FILTERED),
                open_tcp(ftp),
            ]
            return await identify_host(s.HOST, ports, FAST, gate=s.GATE)

    results = asyncio.run(go())
    assert [r.identity is None for r in results] == [True, False, True, False]
    products = [r.identity.product for r in results if r.identity is not None]
    assert products == ["OpenSSH", "vsftpd"]


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="port_timeout"):
        IdentifySettings(port_timeout=0)
    with pytest.raises(ValueError, match="banner_bytes"):
        IdentifySettings(banner_bytes=0)
