"""Citrix Gateway (NetScaler Gateway) logon page ``/vpn/index.html`` over HTTPS.

The page loads resources with a per-build ``?v=`` token, and
``/vpn/js/rdx/core/lang/rdx_en.json.gz`` carries the build date in ``Last-Modified``
(the triage technique published for NetScaler). Options: ``version`` (a build in
``data/citrix_gateway.yaml``, e.g. 13.1-49.13). The certificate is the appliance's
default ("CN=default <random>", O=Citrix ANG). Logons always fail and are logged.
"""

from __future__ import annotations

import secrets
import string

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._appliance import serve_appliance


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings("citrix_gateway", options)
    alphabet = string.ascii_uppercase + string.digits
    suffix = "".join(secrets.choice(alphabet) for _ in range(6))
    await serve_appliance("citrix_gateway", host, port, opts, {"cert_suffix": suffix})
