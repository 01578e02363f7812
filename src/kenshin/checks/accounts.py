"""Account diagnosis: default, empty and anonymous access — within safety.md.

Every login-type check tries at most ``settings.max_login_attempts`` credentials from a
short list in ``data/checks/credentials.yaml``, waits ``settings.login_delay`` between
attempts, stops at the first success or sign of lockout, and never changes anything.
Passwords appear in evidence only masked.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import struct
from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar

from kenshin.checks import _snmp
from kenshin.checks._knowledge import build_finding, load_data, mask
from kenshin.checks._net import Connection, connect, http_get, udp_exchange
from kenshin.checks.base import Check, CheckSettings, CheckStats, CheckTarget, Intensity
from kenshin.checks.exposure import printable
from kenshin.domain import Finding, Protocol
from kenshin.domain.scan import WEB_SERVICES
from kenshin.net import stream as net_stream
from kenshin.net import telnet as telnet_wire

_BASIC = re.compile(r'(?i)Basic\s*(?:realm="([^"]*)")?')  # a WWW-Authenticate value


@cache
def _credentials() -> dict[str, Any]:
    data: dict[str, Any] = load_data("credentials.yaml")
    return data


def _locked_out(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in _credentials()["lockout_markers"])


def _pick(section: str, product: str) -> list[tuple[str, str]]:
    """The credentials listed for the first entry whose pattern matches ``product``."""
    for entry in _credentials()[section]:
        if re.search(entry["match"], product, re.IGNORECASE):
            return [(str(user), str(password)) for user, password in entry["credentials"]]
    return []


class FtpAnonymous(Check):
    """Anonymous FTP: log in as ``anonymous`` and list the top folder, nothing more."""

    check_id = "account.ftp_anonymous"
    intensity = Intensity.LOGIN
    services = frozenset({"ftp"})
    ports = frozenset({("tcp", 21)})

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        anonymous = _credentials()["ftp_anonymous"]
        try:
            async with connect(target, settings, stats) as ftp:
                greeting = await _ftp_reply(ftp)
                if not greeting.startswith("220"):
                    return []
                stats.login_attempts += 1
                await ftp.send(f"USER {anonymous['user']}\r\n".encode())
                reply = await _ftp_reply(ftp)
                if reply.startswith("331"):
                    await ftp.send(f"PASS {anonymous['password']}\r\n".encode())
                    reply = await _ftp_reply(ftp)
                if not reply.startswith("230"):
                    return []
                listing = await _ftp_list(target, ftp, settings, stats)
                await ftp.send(b"QUIT\r\n")
        except (OSError, TimeoutError):
            return []
        evidence = f"USER anonymous / PASS {mask(anonymous['password'])} -> {reply.strip()[:80]}"
        if listing is not None:
            evidence += f"; LIST returned {listing} entr{'y' if listing == 1 else 'ies'}"
        return [build_finding(self.check_id, target, evidence=evidence, service="ftp")]


async def _ftp_reply(ftp: Connection) -> str:
    """One complete FTP reply (multi-line replies end with 'NNN ')."""
    data = await ftp.read_until((b"\r\n",), timeout=ftp.settings.read_timeout)
    text = data.decode("utf-8", "replace")
    if len(text) >= 4 and text[3] == "-":
        code = text[:3]
        for _ in range(50):
            if re.search(rf"(?m)^{code} ", text):
                break
            more = await ftp.read_until((b"\r\n",))
            if not more:
                break
            text += more.decode("utf-8", "replace")
    return text


async def _ftp_list(
    target: CheckTarget, ftp: Connection, settings: CheckSettings, stats: CheckStats
) -> int | None:
    """Entries in the top folder via PASV; connects only to the target's own address."""
    await ftp.send(b"PASV\r\n")
    reply = await _ftp_reply(ftp)
    match = re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", reply)
    if not reply.startswith("227") or match is None:
        return None
    port = int(match.group(5)) * 256 + int(match.group(6))
    stats.connections += 1
    try:
        data_channel = await net_stream.connect(
            target.address, port, timeout=settings.connect_timeout, limit=settings.response_limit
        )
    except (OSError, TimeoutError):
        return None
    try:
        await ftp.send(b"LIST\r\n")
        await _ftp_reply(ftp)
        listing = await data_channel.read(
            settings.read_timeout,
            settings.read_timeout,
            settings.response_limit,
            total_timeout=settings.read_timeout * 4,
        )
        await _ftp_reply(ftp)
    finally:
        await data_channel.close()
    return len([line for line in listing.data.splitlines() if line.strip()])


class SnmpDefaultCommunity(Check):
    """SNMP v2c/v1 answers a GET of sysDescr with a default community."""

    check_id = "account.snmp_default_community"
    intensity = Intensity.LOGIN
    services = frozenset({"snmp"})
    ports = frozenset({("udp", 161)})
    protocol = Protocol.UDP

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        communities = _credentials()["snmp_communities"][: settings.max_login_attempts]
        for index, community in enumerate(communities):
            if index:
                await asyncio.sleep(settings.login_delay)
            stats.login_attempts += 1
            request_id = int.from_bytes(os.urandom(3), "big")
            reply = await udp_exchange(
                target, _snmp.get_request(community, request_id), settings, stats, attempts=1
            )
            answer = _snmp.parse_response(reply) if reply else None
            if answer and answer.request_id == request_id and answer.error_status == 0:
                descr = printable(answer.value, 120)
                evidence = (
                    f"factory-default community #{index + 1} ({mask(community)}) "
                    f"answered sysDescr.0: {descr}"
                )
                return [build_finding(self.check_id, target, evidence=evidence, service="snmp")]
        return []


class UnauthenticatedService(Check):
    """Data services that answer without a password: Redis, memcached, MongoDB,
    Elasticsearch, the Docker API and VNC with security type None."""

    check_id = "account.no_authentication"
    intensity = Intensity.PROBE
    services = frozenset({"redis", "memcache", "mongodb", "elasticsearch", "docker", "vnc"})
    _by_port: ClassVar[dict[int, str]] = {
        6379: "redis",
        11211: "memcache",
        27017: "mongodb",
        9200: "elasticsearch",
        2375: "docker",
        5900: "vnc",
    }
    ports = frozenset(("tcp", port) for port in _by_port)

    def applies_to(self, target: CheckTarget) -> bool:
        if target.protocol is not Protocol.TCP:
            return False
        if "elasticsearch" in target.product.lower() or "docker" in target.product.lower():
            return True
        return super().applies_to(target)

    def _kind(self, target: CheckTarget) -> str:
        product = target.product.lower()
        if "elasticsearch" in product:
            return "elasticsearch"
        if "docker" in product:
            return "docker"
        if target.service in self.services:
            return target.service
        return self._by_port.get(target.number, "")

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        kind = self._kind(target)
        probe = {
            "redis": _redis_open,
            "memcache": _memcached_open,
            "mongodb": _mongodb_open,
            "elasticsearch": _elasticsearch_open,
            "docker": _docker_open,
            "vnc": _vnc_open,
        }.get(kind)
        if probe is None:
            return []
        try:
            evidence = await probe(target, settings, stats)
        except (OSError, TimeoutError, ValueError):
            return []
        if evidence is None:
            return []
        return [build_finding(self.check_id, target, evidence=evidence, service=kind)]


async def _redis_open(
    target: CheckTarget, settings: CheckSettings, stats: CheckStats
) -> str | None:
    async with connect(target, settings, stats) as redis:
        await redis.send(b"PING\r\n")
        reply = await redis.read_until((b"\r\n",))
    return "PING answered +PONG without AUTH" if reply.startswith(b"+PONG") else None


async def _memcached_open(
    target: CheckTarget, settings: CheckSettings, stats: CheckStats
) -> str | None:
    async with connect(target, settings, stats) as memcached:
        await memcached.send(b"version\r\n")
        reply = await memcached.read_until((b"\r\n",))
    if reply.startswith(b"VERSION "):
        return f"'version' answered without authentication: {printable(reply.strip(), 60)}"
    return None


def _bson(fields: list[tuple[str, int | str]]) -> bytes:
    """A BSON document of int32 and string fields (bsonspec.org)."""
    body = b""
    for name, value in fields:
        key = name.encode() + b"\x00"
        if isinstance(value, int):
            body += b"\x10" + key + struct.pack("<i", value)
        else:
            encoded = value.encode() + b"\x00"
            body += b"\x02" + key + struct.pack("<i", len(encoded)) + encoded
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


async def _mongodb_open(
    target: CheckTarget, settings: CheckSettings, stats: CheckStats
) -> str | None:
    document = _bson([("listDatabases", 1), ("nameOnly", 1), ("$db", "admin")])
    section = b"\x00" + document
    message = struct.pack("<iiiiI", 16 + 4 + len(section), 1, 0, 2013, 0) + section
    async with connect(target, settings, stats) as mongo:
        await mongo.send(message)
        reply = await mongo.read(timeout=settings.read_timeout)
    ok_true = b"\x01ok\x00" + struct.pack("<d", 1.0)
    if ok_true in reply and b"databases" in reply:
        names = re.findall(rb"\x02name\x00.{4}([\x20-\x7e]{1,40})\x00", reply, re.DOTALL)
        listed = ", ".join(n.decode() for n in names[:5])
        return f"listDatabases succeeded without authentication ({listed})"
    return None


async def _elasticsearch_open(
    target: CheckTarget, settings: CheckSettings, stats: CheckStats
) -> str | None:
    # With security on, even the root endpoint answers 401; 200 with cluster data is open.
    response = await http_get(target, settings, stats, "/")
    if response.status != 200:
        return None
    try:
        document = json.loads(response.body.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        return None
    if not isinstance(document, dict) or "cluster_name" not in document:
        return None
    version = document.get("version", {}).get("number", "?")
    return (
        f"GET / answered 200 without credentials (cluster "
        f"'{document['cluster_name']}', Elasticsearch {version})"
    )


async def _docker_open(
    target: CheckTarget, settings: CheckSettings, stats: CheckStats
) -> str | None:
    response = await http_get(target, settings, stats, "/version")
    if response.status != 200:
        return None
    try:
        version = json.loads(response.body.decode("utf-8", "replace")).get("Version", "?")
    except (json.JSONDecodeError, AttributeError):
        return None
    return f"GET /version answered 200 without credentials (Docker {version})"


async def _vnc_open(target: CheckTarget, settings: CheckSettings, stats: CheckStats) -> str | None:
    async with connect(target, settings, stats) as vnc:
        banner = await vnc.read_until((b"\n",))
        match = re.match(rb"RFB (\d{3})\.(\d{3})\n", banner)
        if match is None:
            return None
        minor = int(match.group(2))
        if int(match.group(1)) == 3 and minor < 7:
            await vnc.send(b"RFB 003.003\n")
            raw = await vnc.read(limit=4, timeout=settings.read_timeout)
            types = [struct.unpack(">I", raw)[0]] if len(raw) == 4 else []
        else:
            await vnc.send(banner[:12])
            raw = await vnc.read(limit=256, timeout=settings.read_timeout)
            types = list(raw[1 : 1 + raw[0]]) if raw and raw[0] else []
    if 1 in types:
        return f"{banner.strip().decode()} offers security type 1 (None): no password"
    return None


class MysqlEmptyRoot(Check):
    """MySQL/MariaDB accepts ``root`` with an empty password."""

    check_id = "account.default_credentials.mysql"
    intensity = Intensity.LOGIN
    services = frozenset({"mysql"})
    ports = frozenset({("tcp", 3306)})

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        user, password = _credentials()["mysql"]["credentials"][0]
        try:
            async with connect(target, settings, stats) as mysql:
                greeting = await mysql.read(limit=1024, timeout=settings.read_timeout)
                if len(greeting) < 5 or greeting[4] != 10:
                    return []
                sequence = greeting[3]
                # HandshakeResponse41: PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH | LONG_PASSWORD
                capabilities = 0x00000200 | 0x00008000 | 0x00080000 | 0x00000001
                body = struct.pack("<IIB23x", capabilities, 1 << 24, 33)
                body += user.encode() + b"\x00" + b"\x00" + b"mysql_native_password\x00"
                stats.login_attempts += 1
                await mysql.send(struct.pack("<I", len(body))[:3] + bytes([sequence + 1]) + body)
                reply = await mysql.read(limit=1024, timeout=settings.read_timeout)
                if len(reply) > 4 and reply[4] == 0xFE:  # auth switch: answer with nothing
                    await mysql.send(b"\x00\x00\x00" + bytes([reply[3] + 1]))
                    reply = await mysql.read(limit=1024, timeout=settings.read_timeout)
        except (OSError, TimeoutError):
            return []
        if len(reply) > 4 and reply[4] == 0x00:
            evidence = f"login as '{user}' with password {mask(password)} accepted (OK packet)"
            return [
                build_finding(
                    "account.default_credentials", target, evidence=evidence, service="mysql"
                )
            ]
        return []


class HttpDefaultCredentials(Check):
    """An HTTP Basic-protected admin page accepts a factory default login."""

    check_id = "account.default_credentials.http"
    intensity = Intensity.LOGIN
    services = WEB_SERVICES

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        try:
            response = await http_get(target, settings, stats, "/")
        except (OSError, TimeoutError):
            return []
        challenges = (_BASIC.match(v) for k, v in response.headers if k == "www-authenticate")
        challenge = next((c for c in challenges if c is not None), None)
        if response.status != 401 or challenge is None:
            return []
        realm = (challenge.group(1) or "").encode("latin-1").decode("utf-8", "replace")
        candidates = _pick("http_basic", f"{realm} {target.product}")
        for index, (user, password) in enumerate(candidates[: settings.max_login_attempts]):
            if index:
                await asyncio.sleep(settings.login_delay)
            stats.login_attempts += 1
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            try:
                response = await http_get(
                    target, settings, stats, "/", {"Authorization": f"Basic {token}"}
                )
            except (OSError, TimeoutError):
                return []
            if response.status == 200:
                evidence = (
                    f"HTTP Basic realm '{realm}': user '{user}' with password "
                    f"{mask(password)} was accepted (200 after 401)"
                )
                return [
                    build_finding(
                        "account.default_credentials",
                        target,
                        evidence=evidence,
                        service=target.service or "http",
                    )
                ]
            text = (response.head + response.body).decode("utf-8", "replace")
            if response.status == 429 or _locked_out(text):
                break
        return []


class TelnetDefaultCredentials(Check):
    """A router's Telnet login accepts its factory default (YAMAHA: no password)."""

    check_id = "account.default_credentials.telnet"
    intensity = Intensity.LOGIN
    services = frozenset({"telnet"})
    ports = frozenset({("tcp", 23)})
    _prompts = (b"ogin:", b"sername:", b"assword:", b">", b"#")

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        banner = dict(target.port.identity.extra).get("banner", "") if target.port.identity else ""
        candidates = _pick("telnet", f"{target.product} {banner}")
        for index, (user, password) in enumerate(candidates[: settings.max_login_attempts]):
            if index:
                await asyncio.sleep(settings.login_delay)
            try:
                result = await self._attempt(target, settings, stats, user, password)
            except (OSError, TimeoutError):
                return []
            if result is None:
                continue
            if result == "locked":
                break
            evidence = (
                f"Telnet login as '{user or '(no user name)'}' with password "
                f"{mask(password)} reached the prompt {result!r}"
            )
            return [
                build_finding(
                    "account.default_credentials", target, evidence=evidence, service="telnet"
                )
            ]
        return []

    async def _attempt(
        self,
        target: CheckTarget,
        settings: CheckSettings,
        stats: CheckStats,
        user: str,
        password: str,
    ) -> str | None:
        async with connect(target, settings, stats) as telnet:
            text = await self._read_prompt(telnet)
            if text.rstrip().endswith((b"ogin:", b"sername:")):
                stats.login_attempts += 1
                await telnet.send(user.encode() + b"\r\n")
                text = await self._read_prompt(telnet)
            if not text.rstrip().endswith(b"assword:"):
                return None
            if not user:
                stats.login_attempts += 1
            await telnet.send(password.encode() + b"\r\n")
            text = await self._read_prompt(telnet)
            await telnet.send(b"exit\r\n")
        decoded = text.decode("utf-8", "replace")
        if _locked_out(decoded):
            return "locked"
        last = decoded.strip().splitlines()[-1] if decoded.strip() else ""
        if last.endswith((">", "#")) and "assword" not in last:
            return last[-40:]
        return None

    async def _read_prompt(self, telnet: Connection) -> bytes:
        collected = b""
        for _ in range(10):
            raw = await telnet.read_until(self._prompts, timeout=telnet.settings.read_timeout)
            parsed = telnet_wire.parse(raw)
            answers = telnet_wire.refusals(parsed.requests)
            if answers:
                await telnet.send(answers)
            collected += parsed.text
            if not raw or collected.rstrip().endswith(self._prompts):
                break
        return collected


CHECKS: tuple[Check, ...] = (
    FtpAnonymous(),
    SnmpDefaultCommunity(),
    UnauthenticatedService(),
    MysqlEmptyRoot(),
    HttpDefaultCredentials(),
    TelnetDefaultCredentials(),
)
