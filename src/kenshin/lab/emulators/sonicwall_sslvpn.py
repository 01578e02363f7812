"""SonicWall SMA 100 SSL-VPN portal ("Virtual Office", ``/cgi-bin/welcome``) over HTTPS.

Sends ``Server: SonicWALL SSL-VPN Web Server`` and loads its scripts with the firmware
version as a query string. Options: ``version`` (an SMA firmware in
``data/sonicwall_sslvpn.yaml``), ``hostname`` (certificate CN), ``tls`` ("false": plain
HTTP) and ``https_redirect`` ("true": every request is sent to the HTTPS portal, as on
the appliance's port 80, which shows the Server header and no release). Logins always
fail and are logged.
"""

from __future__ import annotations

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._appliance import serve_appliance
from kenshin.lab.emulators._common import flag


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings("sonicwall_sslvpn", options)
    opts["tls"] = "true" if flag(opts["tls"], "tls") else "false"
    opts["https_redirect"] = "true" if flag(opts["https_redirect"], "https_redirect") else "false"
    await serve_appliance("sonicwall_sslvpn", host, port, opts, {"hostname": opts["hostname"]})
