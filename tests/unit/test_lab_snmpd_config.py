"""The lab's snmpd config for appliance twins (issue 15): vendor MIB scalars such as
PAN-COMMON-MIB panSysSwVersion.0 become net-snmp ``override`` lines, and nothing but a
dotted OID and printable text reaches the generated file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenshin.lab._daemons import BUILDERS, Context
from kenshin.lab._model import LabError
from kenshin.lab._profile import ServiceSpec

PAN_SW_VERSION = "1.3.6.1.4.1.25461.2.1.2.1.1.0"


def _config(tmp_path: Path, **options: str) -> str:
    spec = ServiceSpec(
        name="twin-snmp", daemon="snmpd", protocol="udp", port=161, options=options, service="snmp"
    )
    BUILDERS["snmpd"](Context(tmp_path, {}), "ns", "198.18.0.10", spec)
    return (tmp_path / "twin-snmp" / "snmpd.conf").read_text()


def test_vendor_scalars_and_sysobjectid_are_written(tmp_path: Path) -> None:
    text = _config(
        tmp_path,
        sysdescr="Palo Alto Networks PA-3200 series firewall",
        sysobjectid="1.3.6.1.4.1.25461.2.3.35",
        strings=f"{PAN_SW_VERSION}=10.2.9-h1",
    )
    assert "sysDescr Palo Alto Networks PA-3200 series firewall\n" in text
    assert "sysObjectID .1.3.6.1.4.1.25461.2.3.35\n" in text
    assert f'override .{PAN_SW_VERSION} octet_str "10.2.9-h1"\n' in text


def test_without_vendor_options_no_override_is_written(tmp_path: Path) -> None:
    text = _config(tmp_path, sysdescr="FortiGate-60F v7.0.11,build0489,230321 (GA)")
    assert "override" not in text
    assert "sysObjectID" not in text


@pytest.mark.parametrize(
    "options",
    [
        {"strings": f'{PAN_SW_VERSION}=10.2.9"\nrwcommunity private'},
        {"strings": "2.5.4.3=x"},
        {"sysobjectid": "1.3.6.1.4.1.9 rwcommunity private"},
    ],
)
def test_anything_but_an_oid_and_printable_text_is_refused(
    tmp_path: Path, options: dict[str, str]
) -> None:
    with pytest.raises(LabError):
        _config(tmp_path, **options)
