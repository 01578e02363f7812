"""An IPsec gateway's IKE responder on UDP 500 (and 4500 with the NAT-T marker).

Answers the first message of IKEv1 Main Mode (RFC 2409: SA payload accepting the
initiator's first proposed transform, followed by the gateway's vendor IDs) and of IKEv2
IKE_SA_INIT (RFC 7296: SA with one transform of each type, KE in the proposed group,
Nonce, NAT-detection notifies, vendor IDs; INVALID_KE_PAYLOAD when the KE group was not
proposed). Aggressive Mode gets a NO-PROPOSAL-CHOSEN notification. Later messages of an
exchange are ignored: the emulator never completes an IKE SA.

Options: ``vendor`` = fortinet | yamaha | cisco | generic (which vendor IDs it sends,
from ``data/ike.yaml``); ``natt`` = auto (strip/add the 4-byte non-ESP marker when a
datagram starts with it) | true (always, as on port 4500) | false; ``policy`` = any
(accepts the first proposed transform, even DES/3DES, MD5 or 768/1024-bit groups: the
weak configuration) | strong (AES, SHA-2 and groups of 2048 bits or elliptic only,
after RFC 8247; anything else gets NO-PROPOSAL-CHOSEN — the hardened twin).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import struct
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import choice, data, hold, log, open_udp

NAME = "ike"

# payload types
V1_SA, V1_PROPOSAL, V1_TRANSFORM, V1_NOTIFY, V1_VID = 1, 2, 3, 11, 13
V2_SA, V2_KE, V2_NONCE, V2_NOTIFY, V2_VID = 33, 34, 40, 41, 43
MAIN_MODE, AGGRESSIVE, IKE_SA_INIT = 2, 4, 34
NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD = 14, 17
NAT_DETECTION_SOURCE_IP, NAT_DETECTION_DESTINATION_IP = 16388, 16389
TRANSFORM_DH = 4
#: public value sizes of the Diffie-Hellman groups (RFC 7296 §3.4, RFC 3526, RFC 5903)
DH_SIZES = {
    1: 96,
    2: 128,
    5: 192,
    14: 256,
    15: 384,
    16: 512,
    17: 768,
    18: 1024,
    19: 64,
    20: 96,
    21: 132,
    31: 32,
    32: 56,
}
NON_ESP_MARKER = b"\x00\x00\x00\x00"


def vendor_ids(entries: list[str]) -> list[bytes]:
    result = []
    for entry in entries:
        kind, _, value = entry.partition(":")
        if kind == "hex":
            result.append(bytes.fromhex(value))
        elif kind == "text":
            result.append(value.encode())
        elif kind == "random":
            prefix, _, total = value.partition(":")
            head = bytes.fromhex(prefix)
            result.append(head + os.urandom(int(total) - len(head)))
    return result


def payloads(first: int, data_: bytes) -> list[tuple[int, bytes]]:
    """(type, body) of a chain of generic payloads starting with type ``first``."""
    found: list[tuple[int, bytes]] = []
    kind, offset = first, 0
    while kind != 0 and offset + 4 <= len(data_) and len(found) < 32:
        next_kind, _flags, length = struct.unpack_from(">BBH", data_, offset)
        if length < 4 or offset + length > len(data_):
            raise ValueError("payload length out of bounds")
        found.append((kind, data_[offset + 4 : offset + length]))
        kind, offset = next_kind, offset + length
    return found


def chain(items: list[tuple[int, bytes]]) -> tuple[int, bytes]:
    """(first type, bytes) of a payload chain."""
    out = b""
    for index, (_, body) in enumerate(items):
        next_kind = items[index + 1][0] if index + 1 < len(items) else 0
        out += struct.pack(">BBH", next_kind, 0, 4 + len(body)) + body
    return (items[0][0] if items else 0), out


def header(
    ispi: bytes,
    rspi: bytes,
    next_kind: int,
    version: int,
    exchange: int,
    flags: int,
    message_id: int,
    body: bytes,
) -> bytes:
    return (
        ispi
        + rspi
        + struct.pack(">BBBBII", next_kind, version, exchange, flags, message_id, 28 + len(body))
        + body
    )


# What a gateway hardened to current guidance accepts (RFC 8247 for IKEv2, and the same
# spirit for IKEv1): AES only, no MD5, Diffie-Hellman groups of 2048 bits or elliptic.
STRONG_V1_ENCRYPTION = {7}  # AES-CBC
STRONG_V1_HASHES = {4, 5, 6}  # SHA2-256/384/512
STRONG_GROUPS = {14, 15, 16, 17, 18, 19, 20, 21, 31, 32}
STRONG_V2 = {
    1: {12, 13, 18, 19, 20, 28},  # ENCR: AES-CBC, AES-CTR, AES-GCM-8/12/16, ChaCha20-Poly1305
    2: {5, 6, 7},  # PRF: HMAC-SHA2-256/384/512
    3: {12, 13, 14},  # INTEG: HMAC-SHA2-256-128/384-192/512-256
    4: STRONG_GROUPS,  # DH
}


def v1_attributes(transform: bytes) -> dict[int, int]:
    """The basic (TV) attributes of an IKEv1 transform: {type: value}."""
    found: dict[int, int] = {}
    offset = 4
    while offset + 4 <= len(transform) and len(found) < 32:
        kind, value = struct.unpack_from(">HH", transform, offset)
        if kind & 0x8000:
            found[kind & 0x7FFF] = value
            offset += 4
        else:  # a TLV attribute (e.g. a long life duration): skip its value
            offset += 4 + value
    return found


def v1_acceptable(transform: bytes, policy: str) -> bool:
    if policy == "any":
        return True
    attributes = v1_attributes(transform)
    return (
        attributes.get(1) in STRONG_V1_ENCRYPTION
        and attributes.get(2) in STRONG_V1_HASHES
        and attributes.get(4) in STRONG_GROUPS
    )


def v1_no_proposal(ispi: bytes) -> bytes:
    """An Informational exchange carrying NO-PROPOSAL-CHOSEN (DOI 1, protocol ISAKMP)."""
    notify = struct.pack(">IBBH", 1, 1, 0, NO_PROPOSAL_CHOSEN)
    first, body = chain([(V1_NOTIFY, notify)])
    return header(ispi, os.urandom(8), first, 0x10, 5, 0, 0, body)


def ikev1_answer(packet: bytes, vids: list[bytes], policy: str = "any") -> bytes | None:
    ispi, rspi = packet[0:8], packet[8:16]
    next_kind, _v, exchange, _f, message_id, _l = struct.unpack_from(">BBBBII", packet, 16)
    if rspi != b"\x00" * 8 or message_id != 0:
        return None  # not the first message of an exchange
    responder = os.urandom(8)
    if exchange == AGGRESSIVE:
        return v1_no_proposal(ispi)
    if exchange != MAIN_MODE:
        return None
    found = dict(payloads(next_kind, packet[28:]))
    sa = found.get(V1_SA)
    if sa is None or len(sa) < 8:
        return None
    proposals = payloads(V1_PROPOSAL, sa[8:])
    if not proposals:
        return None
    proposal = proposals[0][1]
    number, protocol, spi_size, _count = proposal[:4]
    transforms = payloads(V1_TRANSFORM, proposal[4 + spi_size :])
    if not transforms:
        return None
    chosen = next((t for t in transforms if v1_acceptable(t[1], policy)), None)
    if chosen is None:
        return v1_no_proposal(ispi)
    _first_kind, transform_bytes = chain([chosen])
    new_proposal = (
        bytes([number, protocol, spi_size, 1]) + proposal[4 : 4 + spi_size] + transform_bytes
    )
    _p, proposal_bytes = chain([(V1_PROPOSAL, new_proposal)])
    new_sa = sa[:8] + proposal_bytes
    first, body = chain([(V1_SA, new_sa)] + [(V1_VID, vid) for vid in vids])
    return header(ispi, responder, first, 0x10, MAIN_MODE, 0, 0, body)


def _nat_hash(spis: bytes, address: tuple[Any, ...]) -> bytes:
    ip = ipaddress.ip_address(address[0]).packed
    return hashlib.sha1(spis + ip + struct.pack(">H", int(address[1]))).digest()  # noqa: S324


def ikev2_answer(
    packet: bytes,
    vids: list[bytes],
    peer: tuple[Any, ...],
    local: tuple[Any, ...],
    policy: str = "any",
) -> bytes | None:
    ispi, rspi = packet[0:8], packet[8:16]
    next_kind, _v, exchange, flags, message_id, _l = struct.unpack_from(">BBBBII", packet, 16)
    if exchange != IKE_SA_INIT or rspi != b"\x00" * 8 or flags & 0x20 or message_id != 0:
        return None
    found = dict(payloads(next_kind, packet[28:]))
    sa, ke = found.get(V2_SA), found.get(V2_KE)
    if sa is None or ke is None or len(ke) < 4:
        return None
    proposals = payloads(2, sa)
    if not proposals:
        return None
    proposal = proposals[0][1]
    number, protocol, spi_size, _count = proposal[:4]
    chosen: dict[int, bytes] = {}
    groups: dict[int, bytes] = {}
    offered: set[int] = set()
    for _kind, transform in payloads(3, proposal[4 + spi_size :]):
        (ident,) = struct.unpack_from(">H", transform, 2)
        offered.add(transform[0])
        if policy == "strong" and ident not in STRONG_V2.get(transform[0], {ident}):
            continue
        if transform[0] == TRANSFORM_DH:
            groups.setdefault(ident, transform)
        chosen.setdefault(transform[0], transform)
    (ke_group,) = struct.unpack_from(">H", ke, 0)
    flags_out = 0x20  # Response
    responder = os.urandom(8)
    if offered - set(chosen):  # a transform type with nothing acceptable
        notify = struct.pack(">BBH", 0, 0, NO_PROPOSAL_CHOSEN)
        first, body = chain([(V2_NOTIFY, notify)])
        return header(ispi, b"\x00" * 8, first, 0x20, IKE_SA_INIT, flags_out, 0, body)
    if ke_group not in groups or ke_group not in DH_SIZES:
        wanted = next((g for g in groups if g in DH_SIZES), 14)
        notify = struct.pack(">BBH", 0, 0, INVALID_KE_PAYLOAD) + struct.pack(">H", wanted)
        first, body = chain([(V2_NOTIFY, notify)])
        return header(ispi, b"\x00" * 8, first, 0x20, IKE_SA_INIT, flags_out, 0, body)
    chosen[TRANSFORM_DH] = groups[ke_group]
    transform_items = [(3, transform) for transform in chosen.values()]
    _f, transforms_bytes = chain(transform_items)
    new_proposal = bytes([number, protocol, spi_size, len(transform_items)])
    new_proposal += proposal[4 : 4 + spi_size] + transforms_bytes
    _p, proposal_bytes = chain([(2, new_proposal)])
    ke_out = struct.pack(">HH", ke_group, 0) + os.urandom(DH_SIZES[ke_group])
    nonce = os.urandom(32)
    spis = ispi + responder
    nat_source = struct.pack(">BBH", 0, 0, NAT_DETECTION_SOURCE_IP) + _nat_hash(spis, local)
    nat_dest = struct.pack(">BBH", 0, 0, NAT_DETECTION_DESTINATION_IP) + _nat_hash(spis, peer)
    items = [
        (V2_SA, proposal_bytes),
        (V2_KE, ke_out),
        (V2_NONCE, nonce),
        (V2_NOTIFY, nat_source),
        (V2_NOTIFY, nat_dest),
    ]
    items += [(V2_VID, vid) for vid in vids]
    first, body = chain(items)
    return header(ispi, responder, first, 0x20, IKE_SA_INIT, flags_out, 0, body)


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    profiles = data(NAME)["vendors"]
    profile = profiles[choice(opts["vendor"], "vendor", profiles)]
    natt = choice(opts["natt"], "natt", ("auto", "true", "false"))
    policy = choice(opts["policy"], "policy", ("any", "strong"))
    v1_vids = vendor_ids(profile["ikev1"])
    v2_vids = vendor_ids(profile["ikev2"])
    local_box: list[tuple[Any, ...]] = []

    def respond(datagram: bytes, peer: tuple[Any, ...]) -> bytes | None:
        if datagram == b"\xff":
            return None  # NAT-keepalive (RFC 3948 §2.3)
        marked = datagram.startswith(NON_ESP_MARKER)
        if natt == "true" and not marked:
            return None  # on 4500 anything without the marker is ESP
        if marked and natt != "false":
            datagram = datagram[4:]
        if len(datagram) < 28:
            return None
        version = datagram[17]
        local = local_box[0] if local_box else (host, port)
        if version >> 4 == 1:
            answer = ikev1_answer(datagram, v1_vids, policy)
        elif version >> 4 == 2:
            answer = ikev2_answer(datagram, v2_vids, peer, local, policy)
        else:
            return None
        if answer is None:
            return None
        log(NAME, f"IKEv{version >> 4} answer to {peer[0]} ({len(answer)} bytes)")
        return NON_ESP_MARKER + answer if marked and natt != "false" else answer

    transport = await open_udp(NAME, host, port, respond)
    local_box.append(transport.get_extra_info("sockname"))
    await hold(transports=[transport])
