"""Reading what vendors paste from their devices: vendor, model, firmware version, WAN addresses.

One recogniser per output format; each returns what it found and how sure it is. The
formats follow the vendors' documented command outputs:

* FortiOS ``get system status`` (``Version: FortiGate-60F v7.0.11,build0489,230328 (GA.F)``),
  and ``get system interface`` lines (``name: wan1 ... ip: 203.0.113.10 255.255.255.248``);
* YAMAHA RT series ``show environment`` (``RTX1210 Rev.14.01.38 (Fri Jul 10 ...)``) and
  the header of ``show config`` (``# RTX1210 Rev.14.01.38 ...``; ``ip lan2 address ...``);
* Cisco ``show version``: IOS (``Cisco IOS Software, ... Version 15.9(3)M7, RELEASE
  SOFTWARE``), IOS XE (``Cisco IOS XE Software, Version 17.09.04a``) and ASA
  (``Cisco Adaptive Security Appliance Software Version 9.16(4)19``, ``Hardware: ASA5506``);
* NEC UNIVERGE IX ``show version`` (``IX Series IX2215 (magellan-sec) Software, Version
  10.2.16, RELEASE SOFTWARE``);
* PAN-OS ``show system info`` (``model: PA-440``, ``sw-version: 10.2.9-h1``);
* SonicOS ``show version`` / status (``firmware-version "SonicOS 7.0.1-5145-R5175"``,
  ``model "TZ 470"``) and SMA (``Firmware Version: 10.2.0.5-29sv``);
* Ivanti/Pulse Connect Secure system overview (``Ivanti Connect Secure 22.7R2.3 (build 3431)``);
* Juniper ``show version`` (``Junos: 22.4R3-S2.11``, ``Model: srx300``);
* SNMP sysDescr strings of the same products.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kenshin.domain import Confidence
from kenshin.i18n import translate


@dataclass(frozen=True)
class Recognised:
    vendor: str
    model: str
    version: str | None
    format: str
    confidence: Confidence


@dataclass(frozen=True)
class ParsedDeviceOutput:
    """What a pasted device output says about the device."""

    vendor: str = ""
    model: str = ""
    version: str | None = None
    wan_addresses: tuple[str, ...] = ()
    recognised: tuple[str, ...] = ()
    confidence: Confidence | None = None
    message_ja: str = ""
    message_en: str = ""
    candidates: tuple[Recognised, ...] = field(default=())

    @property
    def found(self) -> bool:
        return self.version is not None

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_ja

    def to_dict(self) -> dict[str, object]:
        return {
            "found": self.found,
            "vendor": self.vendor,
            "model": self.model,
            "version": self.version,
            "wan_addresses": list(self.wan_addresses),
            "recognised": list(self.recognised),
            "confidence": self.confidence.value if self.confidence else None,
            "message_ja": self.message_ja,
            "message_en": self.message_en,
        }


Recogniser = Callable[[str], list[Recognised]]
_H, _M = Confidence.HIGH, Confidence.MEDIUM


def _fortios(text: str) -> list[Recognised]:
    out = []
    for m in re.finditer(
        r"^\s*Version:\s*(Forti[A-Za-z]+-[\w-]+|Forti[A-Za-z]+)\s+(v\d+\.\d+\.\d+,build\d+[^\r\n]*)",
        text,
        re.MULTILINE,
    ):
        out.append(
            Recognised("Fortinet", m.group(1), m.group(2).strip(), "FortiOS get system status", _H)
        )
    if not out:
        for m in re.finditer(r"\b(Forti(?:Gate|WiFi)-[\w-]+)\s+(v\d+\.\d+\.\d+,build\d+\S*)", text):
            out.append(Recognised("Fortinet", m.group(1), m.group(2), "FortiOS sysDescr", _M))
    return out


def _yamaha(text: str) -> list[Recognised]:
    out = []
    for m in re.finditer(
        r"^[#\s]*((?:RTX|NVR|FWX|RT|vRX|WLX)\d+[A-Za-z]*)\s+(Rev\.\d+\.\d+\.\d+)",
        text,
        re.MULTILINE,
    ):
        header = text[max(0, m.start() - 2) : m.start() + 1].strip().startswith("#")
        fmt = "YAMAHA show config header" if header else "YAMAHA show environment"
        out.append(Recognised("YAMAHA", m.group(1), m.group(2), fmt, _H))
    return out


def _cisco(text: str) -> list[Recognised]:
    out = []
    asa = re.search(r"Cisco Adaptive Security Appliance Software Version (\S+)", text)
    if asa:
        hw = re.search(r"^Hardware:\s*([^,\r\n]+)", text, re.MULTILINE)
        out.append(
            Recognised(
                "Cisco",
                hw.group(1).strip() if hw else "ASA",
                asa.group(1),
                "Cisco ASA show version",
                _H,
            )
        )
        return out
    xe = re.search(r"Cisco IOS[ -]XE Software,?\s*Version\s+([\w.()]+)", text)
    ios = re.search(r"Cisco IOS Software,?.*?Version\s+([\w.()]+),", text, re.DOTALL)
    model = re.search(r"^[Cc]isco\s+(\S+)\s+\(.*?\)\s+(?:processor\s+)?with", text, re.MULTILINE)
    model_name = model.group(1) if model else ""
    if xe:
        version = ".".join(
            str(int(p)) if p.isdigit() else re.sub(r"^0(\d)", r"\1", p)
            for p in xe.group(1).split(".")
        )
        out.append(
            Recognised("Cisco", model_name or "IOS XE", version, "Cisco IOS XE show version", _H)
        )
    elif ios:
        out.append(
            Recognised(
                "Cisco",
                model_name or "IOS",
                ios.group(1),
                "Cisco IOS show version",
                _H if model else _M,
            )
        )
    return out


def _nec_ix(text: str) -> list[Recognised]:
    m = re.search(r"IX Series\s+(IX\d+\w*).*?Software,\s*Version\s+(\d+\.\d+\.\d+)", text)
    if m is None:
        return []
    return [Recognised("NEC", f"UNIVERGE {m.group(1)}", m.group(2), "NEC IX show version", _H)]


def _panos(text: str) -> list[Recognised]:
    version = re.search(r"^\s*sw-version:\s*(\S+)", text, re.MULTILINE)
    if version is None:
        return []
    model = re.search(r"^\s*model:\s*(\S+)", text, re.MULTILINE)
    return [
        Recognised(
            "Palo Alto Networks",
            model.group(1) if model else "PAN-OS",
            version.group(1),
            "PAN-OS show system info",
            _H if model else _M,
        )
    ]


def _sonicwall(text: str) -> list[Recognised]:
    out = []
    fw = re.search(
        r'firmware-version\s+"?SonicOS(?:\s+Enhanced)?\s+([\w.\-]+)', text, re.IGNORECASE
    )
    if fw is None:
        fw = re.search(
            r"Firmware Version:?\s*SonicOS(?:\s+Enhanced)?\s+([\w.\-]+)", text, re.IGNORECASE
        )
    model = re.search(r'^\s*model\s+"?([^"\r\n]+)"?', text, re.MULTILINE | re.IGNORECASE)
    if fw:
        out.append(
            Recognised(
                "SonicWall",
                model.group(1).strip() if model else "SonicOS",
                fw.group(1),
                "SonicOS show version",
                _H if model else _M,
            )
        )
        return out
    sma = re.search(
        r"(SMA\s?\d+\w*).*?Firmware Version:?\s*([\d.]+-\d+\w*)", text, re.IGNORECASE | re.DOTALL
    )
    if sma:
        out.append(Recognised("SonicWall", sma.group(1), sma.group(2), "SonicWall SMA status", _H))
    return out


def _ivanti(text: str) -> list[Recognised]:
    m = re.search(
        r"(Ivanti|Pulse)\s+(Connect|Policy)\s+Secure\s+(\d+\.\d+R\d+(?:\.\d+)*)(\s*\(build\s*\d+\))?",
        text,
        re.IGNORECASE,
    )
    if m is None:
        return []
    vendor = "Ivanti" if m.group(1).lower() == "ivanti" else "Pulse Secure"
    return [
        Recognised(
            vendor,
            f"{m.group(2).title()} Secure",
            m.group(3) + (m.group(4) or ""),
            "Ivanti system overview",
            _H,
        )
    ]


def _junos(text: str) -> list[Recognised]:
    version = re.search(r"(?:^Junos:\s*|JUNOS\s+)(\d+\.\d+[RX][\w.\-]+)", text, re.MULTILINE)
    if version is None:
        return []
    model = re.search(r"^Model:\s*(\S+)|Juniper Networks, Inc\.\s+(\S+)", text, re.MULTILINE)
    name = (model.group(1) or model.group(2)) if model else "Junos"
    return [
        Recognised(
            "Juniper", name, version.group(1).rstrip(","), "Junos show version", _H if model else _M
        )
    ]


RECOGNISERS: tuple[Recogniser, ...] = (
    _fortios,
    _yamaha,
    _cisco,
    _nec_ix,
    _panos,
    _sonicwall,
    _ivanti,
    _junos,
)

_WAN_LINE = re.compile(
    r"wan|outside|untrust|\bpp\b|ip pp|lan2|lan3|dialer|ppp|external|internet|"
    r"gigaethernet0\.1|x1\b|ethernet1/1",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?:/\d{1,2})?(?![\d.])")


def wan_addresses(text: str) -> tuple[str, ...]:
    """Public-looking IPv4 addresses on lines that talk about the WAN side."""
    found: list[str] = []
    for line in text.splitlines():
        if not _WAN_LINE.search(line):
            continue
        for raw in _IPV4.findall(line):
            try:
                address = ipaddress.IPv4Address(raw)
            except ValueError:
                continue
            if (
                (address.is_private
                and not _documentation(address))
                or address.is_loopback
                or address.is_link_local
                or address.is_multicast
                or address.is_unspecified
                or raw.startswith("255.")
                or address.packed[0] == 0
            ):
                continue
            if raw not in found:
                found.append(raw)
    return tuple(found)


def _documentation(address: ipaddress.IPv4Address) -> bool:
    return any(
        address in ipaddress.IPv4Network(net)
        for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15")
    )


def parse_device_output(text: str) -> ParsedDeviceOutput:
    """Vendor, model, firmware version and WAN addresses found in a pasted output."""
    candidates: list[Recognised] = []
    for recogniser in RECOGNISERS:
        candidates.extend(recogniser(text or ""))
    addresses = wan_addresses(text or "")
    distinct = {(c.vendor, c.model, c.version) for c in candidates if c.version}
    if len(distinct) == 1:
        best = next(c for c in candidates if c.version)
        return ParsedDeviceOutput(
            vendor=best.vendor,
            model=best.model,
            version=best.version,
            wan_addresses=addresses,
            recognised=tuple(dict.fromkeys(c.format for c in candidates)),
            confidence=best.confidence,
            message_ja=translate(
                "firmware.parse.found",
                "ja",
                vendor=best.vendor,
                model=best.model,
                version=best.version,
                confidence=best.confidence.value,
                recognised=best.format,
            ),
            message_en=translate(
                "firmware.parse.found",
                "en",
                vendor=best.vendor,
                model=best.model,
                version=best.version,
                confidence=best.confidence.value,
                recognised=best.format,
            ),
            candidates=tuple(candidates),
        )
    reason_ja = translate("firmware.parse.none", "ja")
    reason_en = translate("firmware.parse.none", "en")
    if len(distinct) > 1:
        listed = "; ".join(f"{v} {m} {ver}" for v, m, ver in sorted(distinct, key=str))
        reason_ja += f"（複数の機器の出力が混在しています: {listed}。1 台ずつ貼り付けてください）"
        reason_en += f" (outputs of several devices are mixed: {listed}; paste one at a time)"
    return ParsedDeviceOutput(
        wan_addresses=addresses,
        recognised=tuple(dict.fromkeys(c.format for c in candidates)),
        message_ja=reason_ja,
        message_en=reason_en,
        candidates=tuple(candidates),
    )
