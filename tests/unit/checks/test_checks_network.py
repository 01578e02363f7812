"""Every network check, both ways, against in-process servers on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

from kenshin.checks import CheckSettings, CheckStats, CheckTarget
from kenshin.checks._net import http_get
from kenshin.checks.accounts import (
    FtpAnonymous,
    HttpDefaultCredentials,
    SnmpDefaultCommunity,
    TelnetDefaultCredentials,
    UnauthenticatedService,
)
from kenshin.checks.backdoor import BindShell
from kenshin.checks.exposure import DnsOpenRecursion, NtpAmplification
from kenshin.checks.http import LoginWithoutTls
from kenshin.domain import Protocol

from .servers import dns_answer, read_line, snmp_answer, target, tcp_server, udp_server

FAST = CheckSettings(read_timeout=1.5, connect_timeout=1.5, login_delay=0.01)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


# -- FTP anonymous ---------------------------------------------------------------------


def ftp_handler(anonymous: bool):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 (vsFTPd 3.0.3)\r\n")
        logged_in = False
        data_server = None
        while line := await read_line(reader):
            command = line.decode().strip().split(" ")[0].upper()
            if command == "USER":
                writer.write(b"331 Please specify the password.\r\n")
            elif command == "PASS":
                logged_in = anonymous
                writer.write(
                    b"230 Login successful.\r\n" if anonymous else b"530 Login incorrect.\r\n"
                )
            elif command == "PASV" and logged_in:

                async def send_listing(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                    w.write(
                        b"-rw-r--r-- 1 0 0 10 Jan 01 00:00 readme.txt\r\n"
                        b"drwxr-xr-x 2 0 0 4096 Jan 01 00:00 pub\r\n"
                    )
                    await w.drain()
                    w.close()

                data_server = await asyncio.start_server(send_listing, "127.0.0.1", 0)
                port = data_server.sockets[0].getsockname()[1]
                reply = f"227 Entering Passive Mode (127,0,0,1,{port // 256},{port % 256}).\r\n"
                writer.write(reply.encode())
            elif command == "LIST":
                writer.write(b"150 Here comes the directory listing.\r\n")
                await asyncio.sleep(0.2)
                writer.write(b"226 Directory send OK.\r\n")
            elif command == "QUIT":
                writer.write(b"221 Goodbye.\r\n")
                break
            await writer.drain()
        if data_server is not None:
            data_server.close()

    return handle


@pytest.mark.parametrize("anonymous", [True, False])
def test_ftp_anonymous_both_ways(anonymous: bool) -> None:
    async def scenario() -> list:  # type: ignore[type-arg]
        async with tcp_server(ftp_handler(anonymous)) as port:
            stats = CheckStats()
            found = await FtpAnonymous().run(target(port, "ftp"), FAST, stats)
            assert stats.login_attempts == 1
            return list(found)

    found = run(scenario())
    if anonymous:
        assert [f.check_id for f in found] == ["account.ftp_anonymous"]
        assert "2 entries" in found[0].evidence
        assert "kenshin@example.invalid" not in found[0].evidence  # the password is masked
    else:
        assert found == []


# -- SNMP ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("community", "fires"), [("public", True), ("x7Gq-secret", False)])
def test_snmp_default_community_both_ways(community: str, fires: bool) -> None:
    async def scenario() -> tuple[list, int]:  # type: ignore[type-arg]
        async with udp_server(snmp_answer(community, b"RTX1210 Rev.14.01.38")) as (port, agent):
            found = await SnmpDefaultCommunity().run(
                target(port, "snmp", Protocol.UDP), FAST, CheckStats()
            )
            return list(found), len(agent.received)

    found, asked = run(scenario())
    assert bool(found) is fires
    assert asked <= FAST.max_login_attempts
    if fires:
        assert "RTX1210" in found[0].evidence
        assert community not in found[0].evidence


# -- services without authentication --------------------------------------------------------


def line_reply(expected: bytes, reply: bytes):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = await read_line(reader)
        if line.strip() == expected:
            writer.write(reply)
            await writer.drain()

    return handle


@pytest.mark.parametrize(
    ("service", "expected", "reply", "fires"),
    [
        ("redis", b"PING", b"+PONG\r\n", True),
        ("redis", b"PING", b"-NOAUTH Authentication required.\r\n", False),
        ("memcache", b"version", b"VERSION 1.6.18\r\n", True),
        ("memcache", b"version", b"ERROR\r\n", False),
    ],
)
def test_unauthenticated_line_services(
    service: str, expected: bytes, reply: bytes, fires: bool
) -> None:
    async def scenario() -> list:  # type: ignore[type-arg]
        async with tcp_server(line_reply(expected, reply)) as port:
            return list(
                await UnauthenticatedService().run(target(port, service), FAST, CheckStats())
            )

    assert bool(run(scenario())) is fires


@pytest.mark.parametrize(("types", "fires"), [(b"\x01\x01", True), (b"\x01\x02", False)])
def test_vnc_security_none_both_ways(types: bytes, fires: bool) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"RFB 003.008\n")
        await writer.drain()
        await asyncio.wait_for(reader.readexactly(12), 5)
        writer.write(types)
        await writer.drain()
        await asyncio.sleep(0.5)

    async def scenario() -> list:  # type: ignore[type-arg]
        async with tcp_server(handle) as port:
            return list(await UnauthenticatedService().run(target(port, "vnc"), FAST, CheckStats()))

    assert bool(run(scenario())) is fires


# -- HTTP Basic factory defaults -------------------------------------------------------------


def basic_auth_server(accepted: str, attempts: list[str]):  # type: ignore[no-untyped-def]
    import base64

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        auth = [h for h in head.split(b"\r\n") if h.lower().startswith(b"authorization:")]
        if auth:
            token = auth[0].split(b" ")[-1]
            attempts.append(base64.b64decode(token).decode())
        if auth and base64.b64decode(auth[0].split(b" ")[-1]).decode() == accepted:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        else:
            writer.write(
                b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="Router admin"'
                b"\r\nContent-Length: 0\r\n\r\n"
            )
        await writer.drain()

    return handle


@pytest.mark.parametrize(("accepted", "fires"), [("admin:admin", True), ("admin:S3cure!x", False)])
def test_http_default_credentials_both_ways(accepted: str, fires: bool) -> None:
    attempts: list[str] = []

    async def scenario() -> list:  # type: ignore[type-arg]
        async with tcp_server(basic_auth_server(accepted, attempts)) as port:
            return list(
                await HttpDefaultCredentials().run(target(port, "http"), FAST, CheckStats())
            )

    found = run(scenario())
    assert bool(found) is fires
    assert len(attempts) <= FAST.max_login_attempts
    if fires:
        assert "admin" in found[0].evidence
        assert ":admin" not in found[0].evidence
        assert "password *****" in found[0].evidence


# -- Telnet factory defaults (YAMAHA-style password prompt) --------------------------------


def telnet_router(password: str):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(bytes([255, 251, 1, 255, 251, 3]) + b"\r\nPassword: ")
        await writer.drain()
        for _ in range(3):
            data = await asyncio.wait_for(reader.read(100), 5)
            text = bytes(b for b in data if b < 128 and b not in (255,)).replace(b"\x01", b"")
            text = data.split(b"\r\n")[-2] if b"\r\n" in data else data
            typed = bytes(c for c in text if 32 <= c < 127)
            if typed == password.encode():
                writer.write(b"\r\n\r\nRTX1210 Rev.14.01.38 (Fri Jan 1 00:00:00 2021)\r\n> ")
                await writer.drain()
                await asyncio.wait_for(reader.read(100), 5)
                return
            writer.write(b"\r\nIncorrect password.\r\nPassword: ")
            await writer.drain()

    return handle


@pytest.mark.parametrize(("password", "fires"), [("", True), ("Chang3d!", False)])
def test_telnet_default_credentials_both_ways(password: str, fires: bool) -> None:
    async def scenario() -> list:  # type: ignore[type-arg]
        async with tcp_server(telnet_router(password)) as port:
            t = target(port, "telnet", product="YAMAHA RTX1210 telnetd")
            return list(await TelnetDefaultCredentials().run(t, FAST, CheckStats()))

    found = run(scenario())
    assert bool(found) is fires


# -- Bind shell vs an ordinary line service ----------------------------------------------------


def shell(prompt: bytes):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(prompt)
        await writer.drain()
        while line := await read_line(reader):
            if line.startswith(b"echo "):
                writer.write(line[5:] + prompt)
            elif line.strip() == b"exit":
                return
            else:
                writer.write(b"sh: command not found\n" + prompt)
            await writer.drain()

    return handle


@pytest.mark.parametrize(
    ("greeting", "fires"),
    [
        (b"root@edge:~# ", True),
        (b"sh-5.2$ ", True),
        (b"READY status-service 1.0\r\n", False),
        (b"220 mail.example.org ESMTP\r\n", False),
    ],
)
def test_bind_shell_both_ways(greeting: bytes, fires: bool) -> None:
    async def scenario(active: bool) -> list:  # type: ignore[type-arg]
        async with tcp_server(shell(greeting)) as port:
            settings = CheckSettings(read_timeout=1.5, active_confirmation=active)
            return list(await BindShell().run(target(port), settings, CheckStats()))

    passive = run(scenario(False))
    assert bool(passive) is fires
    if fires:
        assert passive[0].confidence.value == "medium"
        active = run(scenario(True))
        assert active[0].confidence.value == "high"
        assert "marker" in active[0].evidence


# -- DNS open recursion and NTP amplification ------------------------------------------------


@pytest.mark.parametrize("recursive", [True, False])
def test_dns_open_recursion_both_ways(recursive: bool) -> None:
    async def scenario() -> list:  # type: ignore[type-arg]
        async with udp_server(dns_answer(recursive)) as (port, _):
            return list(
                await DnsOpenRecursion().run(
                    target(port, "domain", Protocol.UDP), FAST, CheckStats()
                )
            )

    assert bool(run(scenario())) is recursive


def ntp_answer(old_ntpd: bool):  # type: ignore[no-untyped-def]
    def answer(data: bytes) -> bytes | None:
        if not old_ntpd:
            return None
        if data[0] & 0x07 == 6:
            return bytes([0x16, 0x82]) + data[2:4] + b"\x00" * 8 + b'version="ntpd 4.2.6p5"' * 10
        if data[0] & 0x07 == 7:
            return bytes([0x97, 0x00, 0x03, 0x2A]) + b"\x00\x06\x00\x48" + b"\x00" * 72 * 6
        return None

    return answer


@pytest.mark.parametrize("old_ntpd", [True, False])
def test_ntp_amplification_both_ways(old_ntpd: bool) -> None:
    async def scenario() -> list:  # type: ignore[type-arg]
        async with udp_server(ntp_answer(old_ntpd)) as (port, _):
            return list(
                await NtpAmplification().run(target(port, "ntp", Protocol.UDP), FAST, CheckStats())
            )

    found = run(scenario())
    assert bool(found) is old_ntpd
    if old_ntpd:
        assert "mode 7" in found[0].evidence


# -- Login page over plain HTTP ----------------------------------------------------------------


def http_page(response: bytes):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.write(response)
        await writer.drain()

    return handle


@pytest.mark.parametrize(
    ("response", "fires"),
    [
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<form><input name=u>"
            b"<input type='password' name=p></form>",
            True,
        ),
        (b"HTTP/1.1 301 Moved\r\nLocation: https://127.0.0.1/login\r\n\r\n", False),
        (b"HTTP/1.1 200 OK\r\n\r\n<html>It works</html>", False),
    ],
)
def test_login_without_tls_both_ways(response: bytes, fires: bool) -> None:
    async def scenario() -> list:  # type: ignore[type-arg]
        async with tcp_server(http_page(response)) as port:
            return list(await LoginWithoutTls().run(target(port, "http"), FAST, CheckStats()))

    assert bool(run(scenario())) is fires


# -- HTTP answers as identification reads them (kenshin.net.http) --------------------------


def test_login_page_sent_chunked_is_seen_through_the_chunk_boundaries() -> None:
    """The checks once kept chunk-size lines in the body: a password field cut by a chunk
    boundary went unseen."""
    page = b"<form><input type='pass", b"word' name=p></form>"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in page) + b"0\r\n\r\n"
    response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks

    async def scenario() -> list:  # type: ignore[type-arg]
        async with tcp_server(http_page(response)) as port:
            return list(await LoginWithoutTls().run(target(port, "http"), FAST, CheckStats()))

    assert run(scenario())


def test_login_page_with_bare_line_feeds_is_read() -> None:
    """The checks once split the head only at CRLF CRLF: an old device's LF-only answer
    had no body."""
    response = b"HTTP/1.0 200 OK\nContent-Type: text/html\n\n<input type=password name=p>"

    async def scenario() -> list:  # type: ignore[type-arg]
        async with tcp_server(http_page(response)) as port:
            return list(await LoginWithoutTls().run(target(port, "http"), FAST, CheckStats()))

    assert run(scenario())


def test_http_get_names_an_ipv6_host_in_brackets() -> None:
    """The checks once sent ``Host: ::1`` (not a valid Host); identification's
    ``[::1]:port`` is the one rule now."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5))
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()

    async def scenario() -> tuple[int, int]:
        server = await asyncio.start_server(handle, "::1", 0)
        port = server.sockets[0].getsockname()[1]
        ipv4 = target(port, "http")
        try:
            response = await http_get(
                CheckTarget("::1", ipv4.port, ipv4.host_ports), FAST, CheckStats(), "/"
            )
        finally:
            server.close()
            await server.wait_closed()
        return port, response.status

    port, status = run(scenario())
    assert status == 204
    assert f"\r\nHost: [::1]:{port}\r\n".encode() in seen[0]
