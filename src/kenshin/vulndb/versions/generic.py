"""Generic dotted versions and semantic versions (``2.3.4``, ``1.2.0-rc.1``, ``8.5p1``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.vulndb.versions._base import VersionKey, VersionScheme, key_from_tokens, tokens


@dataclass(frozen=True)
class GenericScheme(VersionScheme):
    name: str = "generic"

    def key(self, version: str) -> VersionKey:
        # semver build metadata never orders versions
        return key_from_tokens(tokens(version.split("+", 1)[0]))


@dataclass(frozen=True)
class OpenSSHScheme(VersionScheme):
    """OpenSSH portable: ``9.2p1``; banners ``OpenSSH_9.2p1 Debian-2+deb12u3``."""

    name: str = "openssh"

    def normalise(self, raw: str) -> str | None:
        match = re.search(r"(\d+\.\d+(?:\.\d+)?(?:p\d+)?)", raw)
        return match.group(1) if match else None
