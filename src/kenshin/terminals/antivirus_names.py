"""The product-name filter inside the collector script, for tests and checks."""

from __future__ import annotations

import re


def script_product_filter(script: str) -> str:
    """The regular expression the collector uses to keep antivirus/device-control programs."""
    found = re.search(r"^\$productFilter = '([^']+)'", script, re.MULTILINE)
    if found is None:
        raise ValueError("the collector has no $productFilter line")
    return found.group(1)
