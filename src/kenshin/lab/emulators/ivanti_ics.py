"""Ivanti Connect Secure (Pulse Connect Secure): the user sign-in page over HTTPS.

``/`` redirects to ``/dana-na/auth/url_default/welcome.cgi``, whose page links the
release's content-hashed stylesheet ``/dana-na/css/ds_<sha256>.css``;
``/dana-na/nc/nc_gina_ver.txt`` carries the dotted ProductVersion (option
``expose_gina`` = false hides it, as on appliances where the file is not served).
Options: ``version`` (a release name in ``data/ivanti_ics.yaml``, e.g. 22.7R2.3),
``hostname`` (the certificate CN), ``static`` ("hidden": the release-dependent stylesheet
and script answer 404, as behind a reverse proxy that passes only the sign-in pages; with
``expose_gina`` false this port then betrays no release, which must come from another
port of the same appliance). Sign-ins always fail and are logged.
"""

from __future__ import annotations

import secrets

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._appliance import serve_appliance
from kenshin.lab.emulators._common import choice, flag


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings("ivanti_ics", options)
    opts["expose_gina"] = "true" if flag(opts["expose_gina"], "expose_gina") else "false"
    opts["static"] = choice(opts["static"], "static", ("shown", "hidden"))
    extra = {"hostname": opts["hostname"], "browser_id": secrets.token_hex(16)}
    await serve_appliance("ivanti_ics", host, port, opts, extra)
