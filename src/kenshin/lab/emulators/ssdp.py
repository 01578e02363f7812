"""A UPnP device answering SSDP M-SEARCH (UPnP Device Architecture 2.0 §1.3) on UDP 1900.

Answers ``ssdp:all``, ``upnp:rootdevice`` and its own device type with the unicast
``HTTP/1.1 200 OK`` search response (LOCATION, SERVER, ST, USN). Options: ``server``
(the SERVER header: OS/version UPnP/1.0 product/version), ``location``.
"""

from __future__ import annotations

import uuid
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import serve_udp
from kenshin.lab.emulators._http import http_date

NAME = "ssdp"
DEVICE_TYPE = "urn:schemas-upnp-org:device:InternetGatewayDevice:1"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    device = uuid.uuid4()
    location = opts["location"] or f"http://{host}:5000/rootDesc.xml"

    def respond(datagram: bytes, _peer: tuple[Any, ...]) -> bytes | None:
        text = datagram.decode("latin-1")
        if not text.startswith("M-SEARCH * HTTP/1.1"):
            return None
        headers = {}
        for line in text.split("\r\n")[1:]:
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().upper()] = value.strip()
        if headers.get("MAN", "").strip('"') != "ssdp:discover":
            return None
        target = headers.get("ST", "")
        if target == "ssdp:all":
            target = "upnp:rootdevice"
        if target not in ("upnp:rootdevice", DEVICE_TYPE, f"uuid:{device}"):
            return None
        usn = f"uuid:{device}" if target.startswith("uuid:") else f"uuid:{device}::{target}"
        return (
            "HTTP/1.1 200 OK\r\n"
            "CACHE-CONTROL: max-age=120\r\n"
            f"DATE: {http_date()}\r\n"
            "EXT:\r\n"
            f"LOCATION: {location}\r\n"
            f"SERVER: {opts['server']}\r\n"
            f"ST: {target}\r\n"
            f"USN: {usn}\r\n"
            "\r\n"
        ).encode()

    await serve_udp(NAME, host, port, respond)
