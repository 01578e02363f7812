"""Fortinet FortiGate: the FortiOS SSL-VPN portal (``/remote/login``) over HTTPS.

Options: ``version`` (a FortiOS release in ``data/fortigate.yaml``, e.g. 7.0.11),
``model`` (serial prefix, e.g. FGT60F), ``serial`` (the certificate CN; generated in
FortiGate's style when empty), ``admin_ui`` ("true" also serves the admin login at
``/login`` and redirects ``/`` there, as when admin and SSL-VPN share a port),
``static`` ("hidden": the release-dependent static files answer 404, so these pages
betray no version, as behind a proxy that strips them; the version must then come from
another port, e.g. SNMP).
Release-dependent static files carry the build date in ``ETag``/``Last-Modified``.
Logins are never accepted; each attempt is logged to stderr.
"""

from __future__ import annotations

import secrets

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._appliance import serve_appliance
from kenshin.lab.emulators._common import choice, flag


def make_serial(model: str) -> str:
    """A serial number in FortiGate's form: model code, two letters, eight digits."""
    digits = "".join(secrets.choice("0123456789") for _ in range(8))
    return f"{model}TK{digits}"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings("fortigate", options)
    opts["admin_ui"] = "true" if flag(opts["admin_ui"], "admin_ui") else "false"
    opts["static"] = choice(opts["static"], "static", ("shown", "hidden"))
    serial = opts["serial"] or make_serial(opts["model"])
    opts["serial"] = serial
    extra = {"serial": serial, "serial_digits": serial[-8:]}
    await serve_appliance("fortigate", host, port, opts, extra)
