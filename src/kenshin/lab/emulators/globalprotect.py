"""Palo Alto Networks GlobalProtect portal (PAN-OS) over HTTPS.

Serves ``/global-protect/login.esp`` (the portal login), ``prelogin.esp`` (XML) and the
static files whose ``ETag`` ("<build time hex>-<size hex>") and ``Last-Modified`` carry
the release date — the technique Bishop Fox's panos-scanner uses. Options: ``version``
(a PAN-OS release in ``data/globalprotect.yaml``), ``hostname`` (certificate CN),
``static`` ("hidden": the dated static files answer 404, as behind a proxy that passes
only the portal pages; the portal then betrays no release, which must come from another
port, e.g. SNMP panSysSwVersion). Logins always fail and are logged.
"""

from __future__ import annotations

import secrets

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._appliance import serve_appliance
from kenshin.lab.emulators._common import choice


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings("globalprotect", options)
    opts["static"] = choice(opts["static"], "static", ("shown", "hidden"))
    extra = {"hostname": opts["hostname"], "session": secrets.token_hex(16)}
    await serve_appliance("globalprotect", host, port, opts, extra)
