"""Which addresses the ad-hoc ``kenshin identify`` command may probe.

Loopback always; the project's lab range 198.18.0.0/15 only when the environment says
``KENSHIN_LAB_TARGETS=1``. Everything else is refused before any packet is sent:
engagement targets are identified by the scan pipeline, inside its authorised scope.
"""

from __future__ import annotations

import ipaddress
import os

from kenshin.identify.errors import IdentifyError

LAB_NETWORK = ipaddress.ip_network("198.18.0.0/15")
LAB_ENV = "KENSHIN_LAB_TARGETS"


def check_target(address: str) -> str:
    """The normalised address when it may be probed ad hoc; IdentifyError otherwise."""
    try:
        parsed = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        raise IdentifyError("identify.bad_address", address=address) from None
    if parsed.is_loopback:
        return str(parsed)
    if parsed.version == 4 and parsed in LAB_NETWORK:
        if os.environ.get(LAB_ENV) == "1":
            return str(parsed)
        raise IdentifyError("identify.lab_not_enabled", address=address, env=LAB_ENV)
    raise IdentifyError("identify.refused_target", address=address)
