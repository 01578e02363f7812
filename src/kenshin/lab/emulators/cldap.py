"""Connectionless LDAP on UDP 389 (RFC 1798 / Active Directory CLDAP) answering rootDSE.

A searchRequest (RFC 4511 §4.5.1) with an empty base gets, in one datagram,
a searchResEntry with the rootDSE attributes a Windows domain controller publishes
(namingContexts, defaultNamingContext, dnsHostName, supportedLDAPVersion, ...; only
the requested ones when a list is given) and a searchResDone with success — the
amplification vector scanners test. Options: ``domain`` (DNS domain), ``dc_name``
(the controller's host name).
"""

from __future__ import annotations

from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import serve_udp
from kenshin.net import ber

NAME = "cldap"
SEARCH_REQUEST, SEARCH_RES_ENTRY, SEARCH_RES_DONE = 0x63, 0x64, 0x65


def root_dse(domain: str, host: str) -> dict[str, list[str]]:
    base = ",".join(f"DC={part}" for part in domain.split("."))
    site = "CN=Default-First-Site-Name,CN=Sites,CN=Configuration"
    server = f"CN={host.upper()},CN=Servers,{site},{base}"
    return {
        "currentTime": ["20261126000000.0Z"],
        "subschemaSubentry": [f"CN=Aggregate,CN=Schema,CN=Configuration,{base}"],
        "dsServiceName": [f"CN=NTDS Settings,{server}"],
        "namingContexts": [
            base,
            f"CN=Configuration,{base}",
            f"CN=Schema,CN=Configuration,{base}",
            f"DC=DomainDnsZones,{base}",
            f"DC=ForestDnsZones,{base}",
        ],
        "defaultNamingContext": [base],
        "rootDomainNamingContext": [base],
        "configurationNamingContext": [f"CN=Configuration,{base}"],
        "schemaNamingContext": [f"CN=Schema,CN=Configuration,{base}"],
        "supportedLDAPVersion": ["3", "2"],
        "supportedSASLMechanisms": ["GSSAPI", "GSS-SPNEGO", "EXTERNAL", "DIGEST-MD5"],
        "dnsHostName": [f"{host}.{domain}"],
        "ldapServiceName": [f"{domain}:{host.lower()}$@{domain.upper()}"],
        "serverName": [server],
        "isSynchronized": ["TRUE"],
        "isGlobalCatalogReady": ["TRUE"],
        "domainFunctionality": ["7"],
        "forestFunctionality": ["7"],
        "domainControllerFunctionality": ["7"],
    }


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    attributes = root_dse(opts["domain"], opts["dc_name"])

    def respond(datagram: bytes, _peer: tuple[Any, ...]) -> bytes | None:
        tag, message, _ = ber.read(datagram)
        if tag != 0x30:
            return None
        parts = ber.children(message)
        if len(parts) < 2 or parts[0][0] != 0x02 or parts[1][0] != SEARCH_REQUEST:
            return None
        message_id = int.from_bytes(parts[0][1], "big")
        request = ber.children(parts[1][1])
        if not request or request[0][1] != b"":
            return None  # only the rootDSE (empty base object) is served
        wanted: list[str] = []
        if len(request) >= 8 and request[7][0] == 0x30:
            wanted = [value.decode("utf-8", "replace") for _, value in ber.children(request[7][1])]
        chosen = attributes
        if wanted and "*" not in wanted:
            lowered = {w.lower() for w in wanted}
            chosen = {k: v for k, v in attributes.items() if k.lower() in lowered}
        encoded = b"".join(
            ber.sequence(ber.octets(name), ber.sequence(*(ber.octets(v) for v in values), tag=0x31))
            for name, values in chosen.items()
        )
        entry = ber.sequence(
            ber.integer(message_id),
            ber.sequence(
                ber.octets(""),
                ber.sequence(encoded) if encoded else ber.sequence(),
                tag=SEARCH_RES_ENTRY,
            ),
        )
        done = ber.sequence(
            ber.integer(message_id),
            ber.sequence(
                ber.integer(0, tag=0x0A), ber.octets(""), ber.octets(""), tag=SEARCH_RES_DONE
            ),
        )
        return entry + done

    await serve_udp(NAME, host, port, respond)
