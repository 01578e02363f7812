"""HTTP configuration: a login form served over plain HTTP."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kenshin.checks._knowledge import build_finding
from kenshin.checks._net import http_get
from kenshin.checks.base import Check, CheckSettings, CheckStats, CheckTarget, Intensity
from kenshin.domain import Finding
from kenshin.domain.scan import TLS_SERVICES, WEB_SERVICES

_PASSWORD_FIELD = re.compile(rb"<input[^>]+type\s*=\s*[\"']?password", re.IGNORECASE)


class LoginWithoutTls(Check):
    """A page with a password field answers over HTTP without redirecting to HTTPS."""

    check_id = "configuration.http_login_without_tls"
    intensity = Intensity.PROBE
    services = WEB_SERVICES - TLS_SERVICES

    def applies_to(self, target: CheckTarget) -> bool:
        return super().applies_to(target) and not target.over_tls

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        path = "/"
        for _ in range(3):  # follow at most two same-host redirects
            try:
                response = await http_get(target, settings, stats, path)
            except (OSError, TimeoutError):
                return []
            url = response.header("location")
            if response.status in (301, 302, 303, 307, 308) and url:
                if url.startswith("https://"):
                    return []
                if url.startswith("/"):
                    path = url
                    continue
                return []
            if response.status == 200 and _PASSWORD_FIELD.search(response.body):
                evidence = f"GET {path} over HTTP returned a form with a password field"
                return [build_finding(self.check_id, target, evidence=evidence, service="http")]
            return []
        return []


CHECKS: tuple[Check, ...] = (LoginWithoutTls(),)
