"""A WS-Discovery target service on UDP 3702 (OASIS WS-Discovery 1.1 / the 2005/04 draft).

Input that is not XML gets a SOAP ``Fault`` ("No XML element tag"), as the gSOAP
stacks of cameras and printers answer. A SOAP ``Probe`` gets a ``ProbeMatches`` whose
``RelatesTo`` is the probe's MessageID, listing the device's endpoint reference,
Types, Scopes and XAddrs — an IP camera (ONVIF, ``dn:NetworkVideoTransmitter``) or a
printer. Options: ``device`` = camera | printer, ``model``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from xml.sax.saxutils import escape

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import choice, serve_udp

NAME = "ws_discovery"
MESSAGE_ID = re.compile(rb"<(?:\w+:)?MessageID[^>]*>\s*([^<\s]+)\s*</(?:\w+:)?MessageID>")
DEVICES = {
    "camera": (
        'xmlns:dn="http://www.onvif.org/ver10/network/wsdl" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"',
        "dn:NetworkVideoTransmitter tds:Device",
        "onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/hardware/{model} "
        "onvif://www.onvif.org/name/{model}",
        "http://{host}/onvif/device_service",
    ),
    "printer": (
        'xmlns:wprt="http://schemas.microsoft.com/windows/2006/08/wdp/print" '
        'xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof"',
        "wsdp:Device wprt:PrintDeviceType",
        "",
        "http://{host}:80/WebServices/Device",
    ),
}


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    namespaces, types, scopes, xaddrs = DEVICES[choice(opts["device"], "device", DEVICES)]
    endpoint = f"urn:uuid:{uuid.uuid4()}"
    values = {"model": escape(opts["model"]), "host": host}

    def fault() -> bytes:
        # what SOAP stacks of embedded devices (gSOAP) send back for input that is not XML
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
            f'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" {namespaces}>'
            "<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode>"
            "<faultstring>No XML element tag</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body>"
            "</SOAP-ENV:Envelope>"
        ).encode()

    def respond(datagram: bytes, _peer: tuple[Any, ...]) -> bytes | None:
        if not datagram.lstrip().startswith(b"<"):
            return fault() if datagram.strip() else None
        if b"Probe" not in datagram or b"ProbeMatches" in datagram:
            return None
        match = MESSAGE_ID.search(datagram)
        if match is None:
            return None
        relates = escape(match.group(1).decode("utf-8", "replace"))
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
            f'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" {namespaces}>'
            "<soap:Header>"
            f"<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID>"
            f"<wsa:RelatesTo>{relates}</wsa:RelatesTo>"
            "<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>"
            "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>"
            '<d:AppSequence InstanceId="1" MessageNumber="1"/>'
            "</soap:Header><soap:Body><d:ProbeMatches><d:ProbeMatch>"
            f"<wsa:EndpointReference><wsa:Address>{endpoint}</wsa:Address></wsa:EndpointReference>"
            f"<d:Types>{types}</d:Types>"
            f"<d:Scopes>{scopes.format(**values)}</d:Scopes>"
            f"<d:XAddrs>{xaddrs.format(**values)}</d:XAddrs>"
            "<d:MetadataVersion>1</d:MetadataVersion>"
            "</d:ProbeMatch></d:ProbeMatches></soap:Body></soap:Envelope>"
        )
        return body.encode()

    await serve_udp(NAME, host, port, respond)
