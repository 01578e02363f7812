"""The generic identification engine: probes from the data files, answers matched
against the rules, web ports explored, TLS read, versions inferred.

Order on a TCP port: wait for a banner (the NULL probe; skipped on ports where the
client speaks first), then the probes that name this port, then the others by rarity,
at most ``max_probes``. The TLS handshake is itself a probe; once it succeeds, the probes
that may run inside TLS are sent through it (https, imaps, pop3s, smtps, ldaps...).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from kenshin.domain.bounds import bound_identity
from kenshin.domain.enums import Confidence
from kenshin.domain.scan import WEB_SERVICES, PortResult, PortState, Protocol, ServiceIdentity
from kenshin.identify import _http
from kenshin.identify._decoders import Decoded, decode, printable
from kenshin.identify._io import TlsFacts, open_tcp, tls_facts, udp_exchange
from kenshin.identify.rules import Knowledge, MatchRule, Probe, load_knowledge, render, render_cpes
from kenshin.identify.settings import IdentifySettings
from kenshin.net.stream import Connection
from kenshin.scope import Gate


@dataclass
class _Hit:
    rule: MatchRule
    probe: Probe
    decoded: Decoded
    raw: bytes
    captures: dict[str, str]
    tls: TlsFacts | None


@dataclass
class _Progress:
    """What is known so far; what a timeout returns."""

    soft: _Hit | None = None
    tls: TlsFacts | None = None
    banner: bytes = b""
    notes: list[str] = field(default_factory=list)
    silent_closes: int = 0
    answered: bool = False


def _match(
    knowledge: Knowledge, probe: Probe, raw: bytes, tls: TlsFacts | None
) -> tuple[_Hit | None, _Hit | None]:
    """(hard hit, soft hit) of the rules for ``probe`` on the answer ``raw``.

    An answer that only echoes what was sent means nothing (echo services, reflectors).
    """
    if probe.payload and raw == probe.payload:
        return None, None
    decoded = decode(probe.decoder, raw, knowledge.vendor_ids)
    soft: _Hit | None = None
    for rule in knowledge.rules:
        if not rule.applies_to(probe.name):
            continue
        found = rule.pattern.search(decoded.text)
        if found is None:
            continue
        captures = {k: v for k, v in found.groupdict().items() if v}
        captures.update({str(i): g for i, g in enumerate(found.groups(), 1) if g})
        hit = _Hit(rule, probe, decoded, raw, captures, tls)
        if not rule.soft:
            return hit, soft
        soft = soft or hit
    return None, soft


def _order(knowledge: Knowledge, transport: str, port: int, limit: int) -> list[Probe]:
    candidates = [p for p in knowledge.probes if p.transport == transport and not p.is_null]
    likely = sorted((p for p in candidates if port in p.ports), key=lambda p: p.rarity)
    others = sorted((p for p in candidates if port not in p.ports), key=lambda p: p.rarity)
    return (likely + others)[:limit]


async def _exchange(
    address: str, port: int, probe: Probe, settings: IdentifySettings, *, use_tls: bool
) -> tuple[bytes, bool]:
    """(answer, closed-without-a-word) of one probe on a fresh connection."""
    connection = await open_tcp(address, port, settings, use_tls=use_tls)
    if connection is None:
        return b"", False
    try:
        if not await connection.send(probe.payload_for(address)):
            return b"", True
        answer = await connection.read(
            probe.wait or settings.read_timeout,
            settings.idle_timeout,
            settings.banner_bytes,
            telnet_refusals=True,
        )
        return answer.data, answer.closed and not answer.data
    finally:
        await connection.close()


async def _vnc_security(
    address: str, port: int, hit: _Hit, settings: IdentifySettings
) -> tuple[tuple[str, str], ...]:
    """RFB: answer the server's version, read the security types it offers (RFC 6143 §7.1)."""
    connection = await open_tcp(address, port, settings)
    if connection is None:
        return ()
    try:
        banner = await connection.read(
            settings.read_timeout, settings.idle_timeout, 12, telnet_refusals=True
        )
        if not banner.data.startswith(b"RFB "):
            return ()
        await connection.send(banner.data[:12])
        answer = await connection.read(
            settings.read_timeout, settings.idle_timeout, 256, telnet_refusals=True
        )
        data = answer.data
        if not data:
            return ()
        names = {
            1: "None",
            2: "VNC Authentication",
            5: "RA2",
            6: "RA2ne",
            16: "Tight",
            18: "TLS",
            19: "VeNCrypt",
            30: "Apple ARD",
        }
        if banner.data.startswith(b"RFB 003.003"):
            kinds = [int.from_bytes(data[:4], "big")] if len(data) >= 4 else []
        else:
            kinds = list(data[1 : 1 + data[0]]) if data[0] else []
        shown = ", ".join(names.get(k, str(k)) for k in kinds)
        extras = [("vnc_security_types", shown or "none offered")]
        if 1 in kinds:
            extras.append(("vnc_no_authentication", "yes"))
        return tuple(extras)
    finally:
        await connection.close()


def _looks_like_tls(raw: bytes) -> bool:
    lowered = raw[:512].lower()
    return (
        raw[:2] in (b"\x15\x03", b"\x16\x03")
        or b"plain http request" in lowered
        or (b"https" in lowered and raw.startswith(b"HTTP/") and b" 400 " in raw[:16])
    )


async def _identity_from_hit(
    address: str,
    port: int,
    hit: _Hit,
    settings: IdentifySettings,
    knowledge: Knowledge,
    progress: _Progress,
) -> ServiceIdentity:
    rule = hit.rule
    captures = hit.captures
    service = rule.service
    use_tls = hit.tls is not None
    if use_tls:
        service = knowledge.tls_services.get(service, service)
    product = render(rule.product, captures)
    version = render(rule.version, captures)
    values = {**captures, "version": version}
    cpe = render_cpes(rule.cpe, values)
    extras: list[tuple[str, str]] = [
        (k, v) for k, v in ((k, render(t, captures)) for k, t in rule.extra) if v
    ]
    extras += list(hit.decoded.facts)
    if hit.tls is not None:
        extras += list(hit.tls.extras())
    evidence = [f"{hit.probe.name} → rule {rule.id}: {printable(hit.raw, 120)}"]
    confidence = rule.confidence or (Confidence.HIGH if version else Confidence.MEDIUM)

    for follow_up in rule.then:
        if follow_up == "vnc_security":
            extras += list(await _vnc_security(address, port, hit, settings))

    if service in WEB_SERVICES:
        first = _http.parse_response("/", hit.raw) if hit.probe.name.startswith("http") else None
        view = await _http.explore(
            address, port, settings, knowledge, use_tls=use_tls, first=first, tls=hit.tls
        )
        root = view.root()
        if root is not None:
            if root.title:
                extras.append(("http_title", root.title))
            if root.header("server"):
                extras.append(("http_server", root.header("server")))
        if view.redirects:
            extras.append(("http_redirect", " → ".join(view.redirects)))
        if view.favicon is not None:
            extras.append(("favicon_mmh3", str(view.favicon)))
        web = _http.identify_web(view, knowledge)
        if web is not None and (web.fingerprint.device or not product):
            product, version, cpe = web.product, web.version, web.cpe
            service = web.fingerprint.service or service
            extras += [(k, v) for k, v in web.extra if v]
            evidence.append(web.evidence)
            confidence = web.fingerprint.confidence or (
                Confidence.HIGH if version else Confidence.MEDIUM
            )
            if not version:
                for table_id in web.fingerprint.infer:
                    table = knowledge.inference[table_id]
                    await _http.fetch_for_table(address, port, settings, view, table, use_tls)
                    inference = _http.infer_version(table, view)
                    if inference is None:
                        continue
                    evidence.append(
                        f"{'shown' if inference.shown else 'inferred'}: {inference.evidence}"
                    )
                    if not inference.version and len(inference.releases) > 1:
                        extras.append(
                            ("version_candidates", ", ".join(r.version for r in inference.releases))
                        )
                    if inference.version:
                        version = inference.version
                        cpe = inference.cpe or cpe
                        confidence = Confidence.HIGH if inference.shown else Confidence.INFERRED
                        extras.append(("version_source", table_id))
                        break
    return ServiceIdentity(
        service=service,
        product=product,
        version=version,
        cpe=cpe,
        confidence=confidence,
        evidence="; ".join(evidence),
        extra=_dedupe(extras),
    )


def _dedupe(pairs: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for key, value in pairs:
        if key not in seen and value:
            seen[key] = value
    return tuple(seen.items())


async def _unknown(
    address: str,
    port: int,
    settings: IdentifySettings,
    knowledge: Knowledge,
    transport: str,
    progress: _Progress,
    why: str,
) -> ServiceIdentity:
    if progress.soft is not None:
        identity = await _identity_from_hit(
            address, port, progress.soft, settings, knowledge, progress
        )
        return replace(
            identity,
            confidence=Confidence.MEDIUM if identity.product else Confidence.LOW,
            evidence=f"{identity.evidence} (partial match; {why})",
        )
    extras = list(progress.tls.extras()) if progress.tls else []
    if progress.tls is not None:
        service = "ssl"
    elif progress.silent_closes and not progress.answered:
        service = "tcpwrapped"
        why = "the port accepts connections and closes them without a word"
    elif transport == "tcp" and not progress.answered:
        # Silent to the banner wait and to every probe: guarded, or a tarpit.
        service = knowledge.port_names.get((transport, port), "tcpwrapped")
        why = f"{why}; the port never said a word"
    else:
        service = knowledge.port_names.get((transport, port), "unknown")
    evidence = why
    if progress.banner:
        evidence += f"; first answer: {printable(progress.banner, 120)}"
        extras.append(("banner", printable(progress.banner, 200)))
    return ServiceIdentity(
        service=service, confidence=Confidence.LOW, evidence=evidence, extra=_dedupe(extras)
    )


async def _identify_tcp(
    address: str, port: int, settings: IdentifySettings, knowledge: Knowledge, progress: _Progress
) -> ServiceIdentity:
    null = next((p for p in knowledge.probes if p.transport == "tcp" and p.is_null), None)
    if null is not None and port not in null.skip_ports:
        connection: Connection | None = await open_tcp(address, port, settings)
        if connection is None:  # refused or reset now, though the scan saw it open
            progress.silent_closes += 1
            return await _unknown(
                address,
                port,
                settings,
                knowledge,
                "tcp",
                progress,
                "the port no longer accepts a connection",
            )
        try:
            answer = await connection.read(
                null.wait or settings.banner_wait,
                settings.idle_timeout,
                settings.banner_bytes,
                total_timeout=settings.port_timeout,
                telnet_refusals=True,
                trickle=True,
            )
        finally:
            await connection.close()
        if answer.data:
            progress.banner = answer.data
            progress.answered = True
            hit, soft = _match(knowledge, null, answer.data, None)
            progress.soft = progress.soft or soft
            if hit is not None:
                return await _identity_from_hit(address, port, hit, settings, knowledge, progress)
        elif answer.closed:
            progress.silent_closes += 1

    probes = _order(knowledge, "tcp", port, settings.max_probes)
    queue = list(probes)
    while queue:
        probe = queue.pop(0)
        if probe.handshake:
            if progress.tls is not None:
                continue
            hit = await _inside_tls(address, port, settings, knowledge, progress)
            if hit is not None:
                return await _identity_from_hit(address, port, hit, settings, knowledge, progress)
            if progress.tls is not None:
                break  # TLS spoken, nothing inside it recognised: stop here
            continue
        raw, closed = await _exchange(address, port, probe, settings, use_tls=False)
        if closed:
            progress.silent_closes += 1
        if not raw:
            continue
        progress.answered = True
        progress.banner = progress.banner or raw
        speaks_tls = _looks_like_tls(raw) and progress.tls is None
        hit, soft = _match(knowledge, probe, raw, None)
        progress.soft = progress.soft or soft
        if hit is not None and not speaks_tls:
            return await _identity_from_hit(address, port, hit, settings, knowledge, progress)
        if speaks_tls:
            handshake = [p for p in queue if p.handshake]
            if handshake:
                queue.remove(handshake[0])
                queue.insert(0, handshake[0])
            elif progress.tls is None:
                tls_probe = next((p for p in knowledge.probes if p.handshake), None)
                if tls_probe is not None:
                    queue.insert(0, tls_probe)
    return await _unknown(
        address, port, settings, knowledge, "tcp", progress, "no probe answer matched a rule"
    )


async def _inside_tls(
    address: str, port: int, settings: IdentifySettings, knowledge: Knowledge, progress: _Progress
) -> _Hit | None:
    connection = await open_tcp(address, port, settings, use_tls=True)
    if connection is None:
        return None
    try:
        facts = tls_facts(connection)
        progress.tls = facts
        progress.answered = True
        # The banner inside TLS (imaps, pop3s, smtps, ftps, ...).
        answer = await connection.read(
            min(settings.banner_wait, 1.0),
            settings.idle_timeout,
            settings.banner_bytes,
            telnet_refusals=True,
        )
    finally:
        await connection.close()
    null = next((p for p in knowledge.probes if p.transport == "tcp" and p.is_null), None)
    if answer.data and null is not None:
        hit, soft = _match(knowledge, null, answer.data, facts)
        progress.soft = progress.soft or soft
        if hit is not None:
            return hit
    inner = [p for p in _order(knowledge, "tcp", port, len(knowledge.probes)) if p.tls]
    for probe in inner[: settings.max_probes]:
        raw, _closed = await _exchange(address, port, probe, settings, use_tls=True)
        if not raw:
            continue
        hit, soft = _match(knowledge, probe, raw, facts)
        progress.soft = progress.soft or soft
        if hit is not None:
            return hit
    return None


async def _identify_udp(
    address: str, port: int, settings: IdentifySettings, knowledge: Knowledge, progress: _Progress
) -> ServiceIdentity:
    """Send every UDP probe at once (each from its own socket) and take the answers in
    probe order: the first hard match of the earliest probe wins. Datagrams are
    independent, so waiting for them one after another would only add timeouts."""
    probes = _order(knowledge, "udp", port, settings.max_udp_probes)
    tasks = {
        asyncio.create_task(
            udp_exchange(
                address,
                port,
                probe.payload_for(address),
                settings,
                wait=probe.wait or settings.read_timeout,
            )
        ): index
        for index, probe in enumerate(probes)
    }
    answers: dict[int, bytes | None] = {}
    pending = set(tasks)
    checked = 0
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                answers[tasks[task]] = task.result()
            while checked in answers:
                raw = answers[checked]
                probe = probes[checked]
                checked += 1
                if not raw:
                    continue
                progress.answered = True
                progress.banner = progress.banner or raw
                hit, soft = _match(knowledge, probe, raw, None)
                progress.soft = progress.soft or soft
                if hit is not None:
                    return await _identity_from_hit(
                        address, port, hit, settings, knowledge, progress
                    )
    finally:
        for task in pending:
            task.cancel()
    return await _unknown(
        address, port, settings, knowledge, "udp", progress, "no UDP probe answer matched a rule"
    )


def _eligible(port: PortResult) -> bool:
    return port.state is PortState.OPEN


async def identify_port(
    address: str,
    port: PortResult,
    settings: IdentifySettings | None = None,
    *,
    gate: Gate,
    knowledge: Knowledge | None = None,
) -> PortResult:
    """``port`` with its ``identity`` filled in when it is open (TCP) or answered (UDP).

    ``gate`` decides first whether ``address`` may be probed (a refusal is audited and
    raised as ScopeError). Otherwise never raises for network trouble and never waits
    longer than ``settings.port_timeout``: what could not be told comes back as a
    low-confidence identity that says why.
    """
    if not _eligible(port):
        return port
    gate.permit(address)
    settings = settings or IdentifySettings()
    knowledge = knowledge or load_knowledge()
    progress = _Progress()
    transport = "udp" if port.protocol is Protocol.UDP else "tcp"
    try:
        async with asyncio.timeout(settings.port_timeout):
            if transport == "udp":
                identity = await _identify_udp(address, port.port, settings, knowledge, progress)
            else:
                identity = await _identify_tcp(address, port.port, settings, knowledge, progress)
    except TimeoutError:
        identity = await _unknown(
            address,
            port.port,
            settings,
            knowledge,
            transport,
            progress,
            f"identification stopped after {settings.port_timeout:g} s",
        )
    return replace(port, identity=bound_identity(identity))


async def identify_host(
    address: str,
    ports: Sequence[PortResult],
    settings: IdentifySettings | None = None,
    *,
    gate: Gate,
) -> tuple[PortResult, ...]:
    """Every port of one host, the open ones identified, at most
    ``concurrency_per_host`` at a time; the order of ``ports`` is kept.

    ``gate`` is asked before anything is sent: a refused address raises ScopeError."""
    settings = settings or IdentifySettings()
    if any(_eligible(p) for p in ports):
        gate.permit(address)
    knowledge = load_knowledge()
    slots = asyncio.Semaphore(settings.concurrency_per_host)

    async def one(port: PortResult) -> PortResult:
        if not _eligible(port):
            return port
        async with slots:
            return await identify_port(address, port, settings, gate=gate, knowledge=knowledge)

    results = await asyncio.gather(*(one(p) for p in ports), return_exceptions=True)
    out: list[PortResult] = []
    for original, result in zip(ports, results, strict=True):
        if isinstance(result, BaseException):
            if isinstance(result, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                raise result
            with contextlib.suppress(Exception):
                result = replace(
                    original,
                    identity=ServiceIdentity(
                        service="unknown",
                        confidence=Confidence.LOW,
                        evidence=f"identification failed: {type(result).__name__}",
                    ),
                )
            out.append(result if isinstance(result, PortResult) else original)
        else:
            out.append(result)
    return tuple(out)
