"""Cisco ASA AnyConnect / WebVPN portal (``/+CSCOE+/logon.html``) over HTTPS.

``/`` redirects by script to the logon page; a POST of AnyConnect's
``<config-auth type="init">`` gets an auth-request carrying
``<version who="sg">`` — the ASA release, as real gateways disclose before login.
Options: ``version`` (an ASA release in ``data/cisco_asa.yaml``, e.g. ``9.16(4)``),
``anyconnect`` ("disabled": only the clientless WebVPN portal, no AnyConnect on this
interface, so the aggregate-auth POST gets no auth-request and the port betrays no
release; the release must then come from another port, e.g. SNMP sysDescr),
``static`` ("hidden": the portal's release-dependent files answer 404).
The certificate is the "ASA Temporary Self Signed Certificate". Logins always fail and
are logged.
"""

from __future__ import annotations

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._appliance import serve_appliance
from kenshin.lab.emulators._common import choice


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings("cisco_asa", options)
    opts["anyconnect"] = choice(opts["anyconnect"], "anyconnect", ("enabled", "disabled"))
    opts["static"] = choice(opts["static"], "static", ("shown", "hidden"))
    await serve_appliance("cisco_asa", host, port, opts)
