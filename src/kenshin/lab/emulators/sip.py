"""A SIP server/PBX on UDP 5060 (RFC 3261) answering OPTIONS like a real one.

OPTIONS gets ``200 OK`` with the request's Via (plus ``received``/``rport``, RFC 3581),
From, To (with a tag), Call-ID and CSeq echoed, and the server's ``Server``, ``Allow``,
``Supported`` headers; REGISTER gets a ``401 Unauthorized`` digest challenge; other
methods ``405 Method Not Allowed``. Option ``user_agent`` (the Server header).
"""

from __future__ import annotations

import secrets
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import serve_udp

NAME = "sip"
ALLOW = "INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)

    def respond(datagram: bytes, peer: tuple[Any, ...]) -> bytes | None:
        text = datagram.decode("utf-8", "replace")
        lines = text.split("\r\n")
        request = lines[0].split(" ")
        if len(request) != 3 or request[2] != "SIP/2.0":
            return None
        method = request[0]
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if not line:
                break
            key, sep, value = line.partition(":")
            if sep:
                headers.append((key.strip(), value.strip()))
        wanted = {
            "via": "Via",
            "v": "Via",
            "from": "From",
            "f": "From",
            "to": "To",
            "t": "To",
            "call-id": "Call-ID",
            "i": "Call-ID",
            "cseq": "CSeq",
        }
        echoed: list[tuple[str, str]] = []
        for key, value in headers:
            canonical = wanted.get(key.lower())
            if canonical is None:
                continue
            if canonical == "Via" and not any(k == "Via" for k, _ in echoed):
                value = value.replace(";rport", f";received={peer[0]};rport={peer[1]}", 1)
            if canonical == "To" and ";tag=" not in value:
                value += f";tag=as{secrets.token_hex(4)}"
            echoed.append((canonical, value))
        if not any(k == "Call-ID" for k, _ in echoed) or not any(k == "CSeq" for k, _ in echoed):
            return None
        if method == "OPTIONS":
            status = "200 OK"
            extra = [
                ("Allow", ALLOW),
                ("Supported", "replaces, timer"),
                ("Accept", "application/sdp"),
            ]
        elif method == "REGISTER":
            status = "401 Unauthorized"
            nonce = secrets.token_hex(8)
            extra = [
                ("WWW-Authenticate", f'Digest algorithm=MD5, realm="asterisk", nonce="{nonce}"')
            ]
        elif method == "ACK":
            return None
        else:
            status = "405 Method Not Allowed"
            extra = [("Allow", ALLOW)]
        out = [f"SIP/2.0 {status}"]
        out += [f"{key}: {value}" for key, value in echoed]
        out += [f"Server: {opts['user_agent']}"]
        out += [f"{key}: {value}" for key, value in extra]
        out += ["Content-Length: 0", "", ""]
        return "\r\n".join(out).encode()

    await serve_udp(NAME, host, port, respond)
