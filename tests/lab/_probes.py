"""Small socket-level probes the lab tests use to see that each daemon really answers.

Each asks the scope's gate (``LAB_GATE``) before it sends. Wire formats: DNS (RFC 1035
§4.1), NTP (RFC 5905 §7.3), Redis RESP (redis.io protocol spec), FTP (RFC 959).
SNMP goes through net-snmp's own ``snmpget``.
"""

from __future__ import annotations

import errno
import secrets
import socket
import struct
import subprocess
from collections.abc import Iterable
from ipaddress import ip_address

from kenshin.domain import PortState
from kenshin.scope import Gate, LabPermission, Scope, ScopeTarget

LAB_GATE = Gate.adhoc(lab=LabPermission(), action="lab.smoke")
"""Every probe of the lab tests passes the scope's gate: the lab range and loopback only."""


def only(addresses: Iterable[str]) -> Gate:
    """A gate that lets through exactly ``addresses`` (a running lab's own)."""
    return Gate(Scope(None, tuple(ScopeTarget(ip_address(a)) for a in addresses)))


def dns_query(address: str, name: str, qtype: int = 1, qclass: int = 1) -> tuple[int, int, int]:
    """(rcode, answer count, recursion-available flag) for a recursive query."""
    LAB_GATE.permit(address)
    ident = secrets.randbelow(65536)
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question
    packet += struct.pack(">HH", qtype, qclass)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(packet, (address, 53))
        data = sock.recv(4096)
    reply_id, flags, _qd, ancount = struct.unpack(">HHHH", data[:8])
    assert reply_id == ident
    return flags & 0x000F, ancount, (flags >> 7) & 1


def ntp_reply_mode(address: str) -> int:
    LAB_GATE.permit(address)
    packet = bytes([0x23]) + bytes(47)  # LI 0, version 4, mode 3 (client)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(packet, (address, 123))
        data = sock.recv(512)
    assert len(data) >= 48
    return data[0] & 0x07


def redis_command(address: str, *words: str) -> bytes:
    LAB_GATE.permit(address)
    request = f"*{len(words)}\r\n".encode() + b"".join(
        f"${len(w)}\r\n{w}\r\n".encode() for w in words
    )
    with socket.create_connection((address, 6379), timeout=3) as conn:
        conn.sendall(request)
        return conn.recv(4096)


def snmp_sysdescr(address: str, community: str) -> str | None:
    """sysDescr.0 through net-snmp's snmpget, or None when the agent stays silent."""
    LAB_GATE.permit(address)
    result = subprocess.run(
        [
            "snmpget",
            "-v2c",
            "-c",
            community,
            "-t",
            "1",
            "-r",
            "0",
            "-On",
            "-Ov",
            address,
            "1.3.6.1.2.1.1.1.0",
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    if result.returncode != 0:
        assert "Timeout" in result.stderr, result.stderr
        return None
    return result.stdout.strip()


# The kernel rate-limits ICMP errors per destination (a burst of 6, then one a second):
# after a scanner has probed a host in the same session, an RST/ICMP answer may be
# withheld for a moment. Silence is therefore asked again a few times before it counts.
ATTEMPTS = 3


def tcp_state(address: str, port: int, timeout: float = 1.5) -> PortState:
    """What a plain connect() sees: open, closed (RST) or filtered (silence or ICMP)."""
    LAB_GATE.permit(address)
    for _ in range(ATTEMPTS):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            try:
                sock.connect((address, port))
            except ConnectionRefusedError:
                return PortState.CLOSED
            except ConnectionResetError:
                # a reset only follows a SYN-ACK: the service accepted and reset at once
                # (the hostile host's reset-mid-handshake), as the connect scan reads it
                return PortState.OPEN
            except TimeoutError:
                continue
            except OSError as exc:
                if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES):
                    return PortState.FILTERED
                raise
            return PortState.OPEN
    return PortState.FILTERED


def udp_state(
    address: str, port: int, payload: bytes = b"\0" * 8, timeout: float = 1.5
) -> PortState:
    """open (a reply), closed (ICMP port unreachable), filtered (other ICMP), open|filtered."""
    LAB_GATE.permit(address)
    for _ in range(ATTEMPTS):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.connect((address, port))
            sock.send(payload)
            try:
                sock.recv(4096)
            except ConnectionRefusedError:
                return PortState.CLOSED
            except ConnectionResetError:
                # a reset only follows a SYN-ACK: the service accepted and reset at once
                # (the hostile host's reset-mid-handshake), as the connect scan reads it
                return PortState.OPEN
            except TimeoutError:
                continue
            except OSError as exc:
                if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES):
                    return PortState.FILTERED
                raise
            return PortState.OPEN
    return PortState.OPEN_FILTERED
