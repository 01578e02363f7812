"""The scan engine on loopback, against in-process asyncio servers (hostile ones included)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import select
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from kenshin.domain import (
    AuditOutcome,
    PortResult,
    PortState,
    Protocol,
    ScanReport,
    ServiceIdentity,
)
from kenshin.scan import (
    HOSPITAL,
    LAB,
    EmergencyStop,
    RttEstimator,
    RunStatus,
    ScanContext,
    ScanError,
    ScanPipeline,
    ScanPlan,
    TcpMode,
    TokenBucket,
    parse_ports,
    parse_targets,
    payloads_for,
    profile,
    run_scan,
    syn_available,
    top_ports,
    udp_payloads,
)
from kenshin.scope import Gate, adhoc_scope

FAST = LAB.with_changes(initial_timeout=0.3, min_timeout=0.1, max_timeout=0.5, udp_wait=0.3)


@pytest.fixture(autouse=True)
def _own_stop_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KENSHIN_STOP_FILE", str(tmp_path / "EMERGENCY-STOP"))


def free_ports(count: int, kind: int = socket.SOCK_STREAM) -> list[int]:
    """Ports nobody listens on right now (bound briefly, then released)."""
    sockets = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, kind)
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@asynccontextmanager
async def hostile_tcp_servers() -> AsyncIterator[dict[str, int]]:
    """A tarpit, a garbage flood, an immediate reset and a normal banner service."""

    async def tarpit(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for _ in range(64):
                writer.write(os.urandom(64 * 1024))
                await writer.drain()
        except (ConnectionError, OSError):
            pass

    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
        await writer.drain()
        writer.close()

    servers = {}
    for name, handler in (
        ("tarpit", tarpit),
        ("garbage", garbage),
        ("reset", reset),
        ("banner", banner),
    ):
        servers[name] = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield {name: s.sockets[0].getsockname()[1] for name, s in servers.items()}
    finally:
        for server in servers.values():
            server.close()


def tcp_states(report: ScanReport) -> dict[int, PortState]:
    return {p.port: p.state for h in report.hosts for p in h.ports if p.protocol is Protocol.TCP}


def udp_states(report: ScanReport) -> dict[int, tuple[PortState, str]]:
    return {
        p.port: (p.state, p.reason)
        for h in report.hosts
        for p in h.ports
        if p.protocol is Protocol.UDP
    }


def _need_root() -> None:
    if not syn_available():
        reason = "SYN scanning needs root (raw sockets)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.mark.parametrize("mode", [TcpMode.CONNECT, TcpMode.SYN])
def test_tcp_states_against_hostile_servers(mode: TcpMode) -> None:
    if mode is TcpMode.SYN:
        _need_root()

    async def scenario() -> tuple[dict[str, int], list[int], Any]:
        async with hostile_tcp_servers() as open_ports:
            closed = free_ports(20)
            plan = ScanPlan(
                ("127.0.0.1",), tuple(sorted([*open_ports.values(), *closed])), (), mode, False
            )
            outcome = await run_scan(plan, adhoc_scope(env={}), FAST)
            return open_ports, closed, outcome

    open_ports, closed, outcome = asyncio.run(scenario())
    states = tcp_states(outcome.report)
    assert outcome.tcp_mode is mode
    assert outcome.status is RunStatus.FINISHED
    for name, port in open_ports.items():
        assert states[port] is PortState.OPEN, name
    for port in closed:
        assert states[port] is PortState.CLOSED
    assert outcome.counts["open"] == len(open_ports)


def test_syn_and_connect_agree_on_a_port_range() -> None:
    _need_root()

    async def scenario() -> tuple[dict[int, PortState], dict[int, PortState]]:
        async with hostile_tcp_servers() as open_ports:
            low = min(open_ports.values())
            ports = tuple(range(max(1, low - 300), min(65535, low + 300)))
            results = []
            for mode in (TcpMode.CONNECT, TcpMode.SYN):
                plan = ScanPlan(("127.0.0.1",), ports, (), mode, False)
                results.append(tcp_states((await run_scan(plan, adhoc_scope(env={}), FAST)).report))
            return results[0], results[1]

    connect, syn = asyncio.run(scenario())
    assert {p for p, s in connect.items() if s is PortState.OPEN} >= set()
    # both modes see the same open set (ports opened by other processes meanwhile aside)
    assert {p for p, s in syn.items() if s is PortState.OPEN} == {
        p for p, s in connect.items() if s is PortState.OPEN
    }


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, reply: bytes | None, check: bytes | None = None, repeat: int = 1) -> None:
        self.reply = reply
        self.check = check
        self.repeat = repeat
        self.received: list[bytes] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append(data)
        if self.reply is None or self.transport is None:
            return
        if self.check is not None and not data.startswith(self.check):
            return
        for _ in range(self.repeat):
            self.transport.sendto(self.reply, addr)


def _same(handler: _Udp) -> _Udp:
    return handler


def test_udp_states_and_payloads() -> None:
    async def scenario() -> tuple[Any, dict[str, _Udp], dict[str, int], list[int]]:
        loop = asyncio.get_running_loop()
        # a DNS-like responder that only answers our DNS payload (RFC 1035 header id "KS")
        handlers = {
            "dns": _Udp(b"\x4b\x53\x81\x80" + bytes(8), check=b"\x4b\x53\x01\x00"),
            "silent": _Udp(None),
            "flood": _Udp(os.urandom(60_000), repeat=20),
        }
        ports: dict[str, int] = {}
        transports = []
        for name, handler in handlers.items():
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_same, handler), local_addr=("127.0.0.1", 0)
            )
            transports.append(transport)
            ports[name] = transport.get_extra_info("sockname")[1]
        closed = free_ports(5, socket.SOCK_DGRAM)
        try:
            # the DNS payload is chosen by port number: pretend the responder is on 53 by
            # scanning its real port with the DNS payload table entry mapped in the test
            plan = ScanPlan(
                ("127.0.0.1",), (), tuple(sorted([*ports.values(), *closed])), identify=False
            )
            import kenshin.scan.udp as udp_module

            original = udp_module.payloads_for

            def mapped(port: int) -> tuple[bytes, ...]:
                return original(53) if port == ports["dns"] else original(port)

            udp_module.payloads_for = mapped  # type: ignore[assignment]
            try:
                outcome = await run_scan(plan, adhoc_scope(env={}), FAST)
            finally:
                udp_module.payloads_for = original
        finally:
            for transport in transports:
                transport.close()
        return outcome, handlers, ports, closed

    outcome, handlers, ports, closed = asyncio.run(scenario())
    states = udp_states(outcome.report)
    assert states[ports["dns"]] == (PortState.OPEN, "udp-response")
    assert states[ports["flood"]][0] is PortState.OPEN
    assert states[ports["silent"]] == (PortState.OPEN_FILTERED, "no-response")
    for port in closed:
        assert states[port] == (PortState.CLOSED, "port-unreach")
    # the silent port was probed twice (one re-probe), the DNS one answered at once
    assert len(handlers["silent"].received) == 2
    assert handlers["dns"].received[0] == payloads_for(53)[0]
    assert outcome.udp is not None
    assert outcome.udp.undetermined == 1
    assert "scan.note.udp_undetermined" in outcome.notes


def test_udp_answer_from_a_new_port_counts_for_tftp() -> None:
    """TFTP servers answer from a fresh port (RFC 1350 §4); the scan must still hear it."""

    async def scenario() -> tuple[Any, int, int]:
        loop = asyncio.get_running_loop()
        listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        listener.bind(("127.0.0.1", 0))
        listener.setblocking(False)
        replier = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        replier.bind(("127.0.0.1", 0))

        def answer() -> None:
            data, peer = listener.recvfrom(512)
            if data[:2] == b"\x00\x01":  # RRQ
                replier.sendto(b"\x00\x05\x00\x01File not found\x00", peer)

        loop.add_reader(listener.fileno(), answer)
        closed = free_ports(1, socket.SOCK_DGRAM)[0]
        import kenshin.scan.udp as udp_module

        port = listener.getsockname()[1]
        original_payloads, original_any = udp_module.payloads_for, udp_module.reply_from_any_port
        udp_module.payloads_for = lambda p: original_payloads(69 if p == port else p)  # type: ignore[assignment]
        udp_module.reply_from_any_port = lambda p: p in (port, closed)  # type: ignore[assignment]
        try:
            plan = ScanPlan(("127.0.0.1",), (), (port, closed), identify=False)
            outcome = await run_scan(plan, adhoc_scope(env={}), FAST)
        finally:
            udp_module.payloads_for, udp_module.reply_from_any_port = (
                original_payloads,
                original_any,
            )
            loop.remove_reader(listener.fileno())
            listener.close()
            replier.close()
        return outcome, port, closed

    outcome, port, closed = asyncio.run(scenario())
    states = udp_states(outcome.report)
    assert states[port] == (PortState.OPEN, "udp-response")
    assert states[closed] == (PortState.CLOSED, "port-unreach")  # ICMP still heard (IP_RECVERR)


def test_udp_payload_table_covers_the_required_protocols() -> None:
    names = {p.name for p in udp_payloads()}
    for required in (
        "dns-root-ns",
        "ntp-client",
        "snmp-v1-get-sysdescr",
        "snmp-v2c-get-sysdescr",
        "ike-main-mode",
        "ike-nat-t",
        "netbios-node-status",
        "ssdp-msearch",
        "mdns-services",
        "tftp-read-missing-file",
        "sip-options",
        "openvpn-hard-reset",
        "l2tp-sccrq",
        "radius-access-request",
        "memcached-version",
        "portmapper-null",
        "mssql-browser",
        "cldap-rootdse",
        "ws-discovery-probe",
    ):
        assert required in names
    assert len(payloads_for(161)) == 2
    assert payloads_for(4500)[0][:4] == b"\x00\x00\x00\x00"
    assert payloads_for(4500)[0][4:] == payloads_for(500)[0]
    ntp = payloads_for(123)[0]
    assert len(ntp) == 48
    assert ntp[0] & 0x07 == 3
    # ISAKMP length field matches the message length
    ike = payloads_for(500)[0]
    assert struct.unpack("!I", ike[24:28])[0] == len(ike)
    l2tp = payloads_for(1701)[0]
    assert struct.unpack("!H", l2tp[2:4])[0] == len(l2tp)
    assert payloads_for(40000) == (b"",)


def test_emergency_stop_file_stops_sending(tmp_path: Path) -> None:
    stop = EmergencyStop(tmp_path / "stop-now")
    slow = HOSPITAL.with_changes(rate=200.0)
    seen: list[int] = []

    class Listener:
        def planned(self, hosts: int, probes: int) -> None: ...

        def port(
            self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
        ) -> None:
            seen.append(port)
            if len(seen) == 50:
                stop.raise_file("test")

        def identified(self, address: str, result: PortResult) -> None: ...

    plan = ScanPlan(
        ("127.0.0.1",),
        tuple(free_ports(1)) + tuple(range(20000, 30000)),
        (),
        TcpMode.CONNECT,
        False,
    )
    outcome = asyncio.run(run_scan(plan, adhoc_scope(env={}), slow, stop=stop, listener=Listener()))
    assert outcome.status is RunStatus.INTERRUPTED
    assert len(seen) < 400  # far fewer than the 10,001 planned probes


def test_stop_file_present_refuses_to_start(tmp_path: Path) -> None:
    stop = EmergencyStop(tmp_path / "stop")
    stop.raise_file()
    with pytest.raises(ScanError) as refused:
        asyncio.run(run_scan(ScanPlan(("127.0.0.1",), (1,)), adhoc_scope(env={}), FAST, stop=stop))
    assert refused.value.key == "scan.stop_file_present"
    assert stop.clear_file()
    assert not stop.file_present()


class RecordingIdentifier:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[int, ...]]] = []

    async def __call__(
        self, address: str, ports: Sequence[PortResult], gate: Gate
    ) -> tuple[PortResult, ...]:
        gate.permit(address)
        self.calls.append((address, tuple(p.port for p in ports)))
        return tuple(
            PortResult(
                p.protocol,
                p.port,
                p.state,
                p.reason,
                ServiceIdentity("ssh", "OpenSSH", "9.2p1 Debian 2+deb12u3"),
            )
            for p in ports
        )


class CountingStage:
    name = "count"

    def __init__(self) -> None:
        self.seen: list[int] = []

    async def run(self, report: ScanReport, context: ScanContext) -> ScanReport:
        self.seen.append(sum(len(h.open_ports()) for h in report.hosts))
        assert context.scope.allows("127.0.0.1")
        return report


def test_identifier_and_stages_run_after_the_port_scan() -> None:
    identifier = RecordingIdentifier()
    stage = CountingStage()
    events: list[Any] = []

    async def scenario() -> Any:
        async with hostile_tcp_servers() as open_ports:
            closed = free_ports(3)
            plan = ScanPlan(
                ("127.0.0.1",), (open_ports["banner"], *closed), (), TcpMode.CONNECT, True
            )
            return open_ports, await run_scan(
                plan,
                adhoc_scope(env={}),
                FAST,
                pipeline=ScanPipeline(identifier, (stage,)),
                audit=events.append,
                actor="tester",
            )

    open_ports, outcome = asyncio.run(scenario())
    assert identifier.calls == [("127.0.0.1", (open_ports["banner"],))]
    identified = [p for p in outcome.report.hosts[0].ports if p.identity is not None]
    assert [p.port for p in identified] == [open_ports["banner"]]
    assert identified[0].identity is not None
    assert identified[0].identity.version == "9.2p1 Debian 2+deb12u3"
    assert stage.seen == [1]
    assert [e.outcome for e in events] == [AuditOutcome.STARTED, AuditOutcome.SUCCEEDED]
    assert events[0].actor == "tester"
    assert events[0].targets == ("127.0.0.1",)
    assert events[0].details["tcp_mode"] == "connect"
    assert events[1].details["open"] == "1"


def test_no_identify_skips_the_identifier() -> None:
    identifier = RecordingIdentifier()

    async def scenario() -> None:
        async with hostile_tcp_servers() as open_ports:
            plan = ScanPlan(("127.0.0.1",), (open_ports["banner"],), (), TcpMode.CONNECT, False)
            await run_scan(plan, adhoc_scope(env={}), FAST, pipeline=ScanPipeline(identifier))

    asyncio.run(scenario())
    assert identifier.calls == []


def test_port_specifications() -> None:
    assert parse_ports("22,80,443") == (22, 80, 443)
    assert parse_ports("1-5,3") == (1, 2, 3, 4, 5)
    assert len(parse_ports("all")) == 65535
    assert len(parse_ports("-")) == 65535
    assert parse_ports("ssh,https") == (22, 443)
    assert parse_ports("domain", Protocol.UDP) == (53,)
    assert parse_ports("60000-") == tuple(range(60000, 65536))
    assert top_ports(Protocol.UDP, 100)[:3] == (53, 123, 161)
    assert len(set(top_ports(Protocol.TCP, 200))) == 200
    for bad, key in (
        ("0", "scan.port_out_of_range"),
        ("65536", "scan.port_out_of_range"),
        ("nosuchservice", "scan.unknown_port_name"),
        ("10-5", "scan.bad_port_range"),
        ("22,,80", "scan.bad_port_spec"),
        ("", "scan.bad_port_spec"),
    ):
        with pytest.raises(ScanError) as error:
            parse_ports(bad)
        assert error.value.key == key, bad
    with pytest.raises(ScanError):
        top_ports(Protocol.UDP, 10_000)


def test_target_specifications() -> None:
    assert [str(a) for a in parse_targets(["127.0.0.1-3"])] == [
        "127.0.0.1",
        "127.0.0.2",
        "127.0.0.3",
    ]
    assert len(parse_targets(["127.0.0.0/30"])) == 2
    assert [str(a) for a in parse_targets(["127.0.0.1,127.0.0.1", "::1"])] == ["127.0.0.1", "::1"]
    for bad in ("localhost", "127.0.0.1-300", "127.0.0.5-2", "1.2.3.4/33", "::1-5"):
        with pytest.raises(ScanError):
            parse_targets([bad])
    with pytest.raises(ScanError) as error:
        parse_targets(["10.0.0.0/8"])
    assert error.value.key == "scan.too_many_targets"


def test_settings_validation_and_profiles() -> None:
    assert profile("hospital").per_host_concurrency <= 8
    assert profile("hospital").rate < profile("lab").rate
    with pytest.raises(ScanError):
        profile("aggressive")
    with pytest.raises(ScanError) as error:
        HOSPITAL.with_changes(per_host_concurrency=500)
    assert error.value.key == "scan.conflicting_concurrency"
    with pytest.raises(ScanError):
        HOSPITAL.with_changes(rate=0)
    assert HOSPITAL.with_changes(rate=50.0, retries=None).rate == 50.0


def test_token_bucket_and_rtt_estimator() -> None:
    bucket = TokenBucket(rate=10.0, burst=5)
    waits = [bucket.reserve() for _ in range(8)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] > 0
    assert waits[7] > waits[6] > waits[5]
    rtt = RttEstimator(initial=1.0, minimum=0.05, maximum=2.0)
    assert rtt.timeout == 1.0
    for _ in range(20):
        rtt.add(0.1)
    assert 0.05 <= rtt.timeout < 0.2
    rtt.add(10.0)
    assert rtt.timeout == 2.0


def test_conflicting_plan_is_an_error() -> None:
    with pytest.raises(ScanError):
        ScanPlan((), (80,))
    with pytest.raises(ScanError):
        ScanPlan(("127.0.0.1",), (), ())


def test_large_groups_of_closed_ports_are_counted_not_listed() -> None:
    async def scenario() -> tuple[Any, Any, int]:
        async with hostile_tcp_servers() as open_ports:
            closed = free_ports(150)
            ports = tuple(sorted([open_ports["banner"], *closed]))
            plan = ScanPlan(("127.0.0.1",), ports, (), TcpMode.CONNECT, False)
            summarised = await run_scan(plan, adhoc_scope(env={}), FAST, list_limit=100)
            everything = await run_scan(plan, adhoc_scope(env={}), FAST)
            return summarised, everything, open_ports["banner"]

    summarised, everything, banner = asyncio.run(scenario())
    host = summarised.report.hosts[0]
    assert [p.port for p in host.ports] == [banner]
    assert [(c.protocol, c.state, c.reason, c.count) for c in host.extraports] == [
        (Protocol.TCP, PortState.CLOSED, "conn-refused", 150)
    ]
    assert len(everything.report.hosts[0].ports) == 151
    assert everything.report.hosts[0].extraports == ()
    from kenshin.scan import report_document

    document = report_document(summarised.report)
    assert document["hosts"][0]["extraports"][0]["count"] == 150


class _LateEpoll:
    """An epoll whose every look comes late: the services have done what they do by then."""

    real = select.epoll

    def __init__(self, *args: Any) -> None:
        self._epoll = self.real(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._epoll, name)

    def poll(self, timeout: float = -1, maxevents: int = -1) -> Any:
        time.sleep(0.2)
        return self._epoll.poll(timeout, maxevents)


def test_a_service_that_resets_before_the_scanner_looks_is_open() -> None:
    """The kernel reports ECONNRESET once the reset has arrived; the port still accepted.

    Every look at the connect results comes late, so the race a busy machine produces
    (the service accepts and resets before the scanner reads the result) happens each time.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]

    def reset_everyone() -> None:
        listener.settimeout(10)
        with contextlib.suppress(OSError):
            for _ in range(8):
                conn, _ = listener.accept()
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()

    server = threading.Thread(target=reset_everyone, daemon=True)
    server.start()
    try:
        with mock.patch.object(select, "epoll", _LateEpoll):
            outcome = asyncio.run(
                run_scan(
                    ScanPlan(("127.0.0.1",), (port,), (), TcpMode.CONNECT, False),
                    adhoc_scope(env={}),
                    FAST,
                )
            )
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept
        listener.close()
        server.join(timeout=15)
    assert tcp_states(outcome.report) == {port: PortState.OPEN}


@pytest.mark.parametrize("mode", [TcpMode.CONNECT, TcpMode.SYN, None])
def test_every_probe_waits_for_its_targets_own_slot(
    mode: TcpMode | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two addresses, a per-target limit far below the fleet's rate: each address's probes
    are booked one by one, at least ``1 / target_rate`` apart (``None``: UDP)."""
    if mode is TcpMode.SYN:
        _need_root()
    import kenshin.scan.engine as engine_module
    from kenshin.scan.pacing import TargetPacing

    booked: dict[int, list[float]] = {}

    class Recording(TargetPacing):
        def take(self, i: int, count: int = 1, now: float | None = None) -> float:
            moment = time.monotonic() if now is None else now
            delay = super().take(i, count, moment)
            if delay == 0.0:
                booked.setdefault(i, []).append(moment)
            return delay

    monkeypatch.setattr(engine_module, "TargetPacing", Recording)
    polite = FAST.with_changes(target_rate=400.0)
    kind = socket.SOCK_DGRAM if mode is None else socket.SOCK_STREAM
    ports = tuple(sorted(free_ports(12, kind)))
    plan = ScanPlan(
        ("127.0.0.1", "127.0.0.2"),
        ports if mode is not None else (),
        ports if mode is None else (),
        mode or TcpMode.AUTO,
        False,
    )
    outcome = asyncio.run(run_scan(plan, adhoc_scope(env={}), polite))
    assert outcome.status is RunStatus.FINISHED
    assert outcome.counts["probed"] == 2 * len(ports)
    assert sorted(booked) == [0, 1]
    for stamps in booked.values():
        assert len(stamps) >= len(ports)  # every probe (and any re-probe) took a slot
        gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
        assert min(gaps) >= 1 / 400.0 - 1e-9


BLOCKING_CHILD = """
import json, sys
from kenshin.scan import LAB, ScanPlan, TcpMode, scan_blocking
from kenshin.scope import adhoc_scope

ports = tuple(json.loads(sys.argv[1]))
udp = sys.argv[2] == "udp"
fast = LAB.with_changes(initial_timeout=0.3, min_timeout=0.1, max_timeout=0.5, udp_wait=0.3)
mode = TcpMode.AUTO if udp else TcpMode(sys.argv[2])
plan = ScanPlan(("127.0.0.1",), () if udp else ports, ports if udp else (), mode, False)
outcome = scan_blocking(plan, adhoc_scope(env={}), fast)
states = {p.port: [p.state.value, p.reason] for h in outcome.report.hosts for p in h.ports}
json.dump({"asyncio": "asyncio" in sys.modules, "ssl": "ssl" in sys.modules,
           "openssl": "_hashlib" in sys.modules,
           "mode": outcome.tcp_mode.value if outcome.tcp_mode else "udp",
           "status": outcome.status.value, "states": states,
           "udp": vars(outcome.udp) if outcome.udp else None}, sys.stdout)
"""


def _blocking_child(tmp_path: Path, ports: Sequence[int], mode: str) -> dict[str, Any]:
    """What ``scan_blocking`` found in a fresh process, and which modules it imported."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", BLOCKING_CHILD, json.dumps(list(ports)), mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "KENSHIN_STOP_FILE": str(tmp_path / "stop")},
    )
    child: dict[str, Any] = json.loads(done.stdout)
    assert child["asyncio"] is False
    assert child["ssl"] is False
    assert child["openssl"] is False  # hashlib maps OpenSSL: megabytes of the process's peak
    assert child["mode"] == mode
    assert child["status"] == "finished"
    return child


@pytest.mark.parametrize("mode", [TcpMode.SYN, TcpMode.CONNECT])
def test_a_tcp_scan_from_synchronous_code_needs_no_event_loop(
    tmp_path: Path, mode: TcpMode
) -> None:
    """``scan_blocking`` SYN- or connect-scans in threads: the process never imports asyncio
    (nor the TLS libraries it loads); its results are the async pipeline's."""
    if mode is TcpMode.SYN:
        _need_root()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        open_port = listener.getsockname()[1]
        ports = sorted([open_port, *free_ports(10)])
        child = _blocking_child(tmp_path, ports, mode.value)
        plan = ScanPlan(("127.0.0.1",), tuple(ports), (), mode, False)
        reference = asyncio.run(run_scan(plan, adhoc_scope(env={}), FAST))
    finally:
        listener.close()
    assert {int(p): s[0] for p, s in child["states"].items()} == {
        p: s.value for p, s in tcp_states(reference.report).items()
    }
    assert child["states"][str(open_port)][0] == "open"


def test_a_udp_scan_from_synchronous_code_needs_no_event_loop(tmp_path: Path) -> None:
    """``scan_blocking`` UDP-scans in a thread too, with the async pipeline's outcomes
    and summary: an answering port, a silent one (probed twice), closed ones."""
    answering = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    answering.bind(("127.0.0.1", 0))
    answering.settimeout(0.1)
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    talking, quiet = answering.getsockname()[1], silent.getsockname()[1]
    finished = threading.Event()

    def answer() -> None:
        for _ in range(1200):  # bounded: two minutes at most
            if finished.is_set():
                return
            with contextlib.suppress(TimeoutError):
                _data, peer = answering.recvfrom(2048)
                answering.sendto(b"hello", peer)

    responder = threading.Thread(target=answer, daemon=True)
    responder.start()
    try:
        ports = sorted([talking, quiet, *free_ports(6, socket.SOCK_DGRAM)])
        child = _blocking_child(tmp_path, ports, "udp")
        plan = ScanPlan(("127.0.0.1",), (), tuple(ports), identify=False)
        reference = asyncio.run(run_scan(plan, adhoc_scope(env={}), FAST))
    finally:
        finished.set()
        responder.join()
        answering.close()
        silent.close()
    expected = {p: [s.value, r] for p, (s, r) in udp_states(reference.report).items()}
    assert {int(p): s for p, s in child["states"].items()} == expected
    assert expected[talking] == ["open", "udp-response"]
    assert expected[quiet] == ["open|filtered", "no-response"]
    assert reference.udp is not None
    assert child["udp"] == {
        **vars(reference.udp),
        "silent": {"127.0.0.1": [quiet]},
    }
    assert reference.udp.port_unreachables == 6
