"""What is missing, and who to ask: the drafts of vendor information requests.

The survey needs, for every router/UTM on a line in the EHR scope, its running firmware
version, and for every line that reaches the internet, the global IP on its WAN side,
whether it is fixed or dynamic, and the ISP contract. A device's request goes to whoever
manages it; the line's address questions ride on the request for the line's edge device
(the router, else the first device), or go to the line's contract holder when the line has
no device on record. Closed networks and out-of-scope lines are never asked about.
"""

from __future__ import annotations

from collections.abc import Iterable

from kenshin.domain import (
    AddressAssignment,
    ConnectionKind,
    ConnectionPoint,
    Device,
    DeviceRole,
    Engagement,
    HolderKind,
)
from kenshin.requests._model import Recipient, RequestDraft, Want

# From the line inwards: the router holds the WAN address.
_EDGE_ORDER = {
    DeviceRole.ROUTER: 0,
    DeviceRole.UTM: 1,
    DeviceRole.FIREWALL: 2,
    DeviceRole.VPN_GATEWAY: 3,
    DeviceRole.IPS: 4,
    DeviceRole.IDS: 5,
    DeviceRole.WIRELESS_AP: 6,
    DeviceRole.OTHER: 7,
}


def address_wants(point: ConnectionPoint) -> tuple[Want, ...]:
    """What is missing about a line's global address (nothing for lines not diagnosed)."""
    if not point.in_ehr_scope or not point.internet_reachable:
        return ()
    if point.kind is ConnectionKind.CLOSED_NETWORK:
        return ()
    wants: list[Want] = []
    if not point.addresses:
        wants += [Want.WAN_IP, Want.ASSIGNMENT]
    elif any(a.assignment is AddressAssignment.UNKNOWN for a in point.addresses):
        wants.append(Want.ASSIGNMENT)
    if not point.carrier:
        wants.append(Want.ISP)
    return tuple(wants)


def edge_device(engagement: Engagement, point_key: str) -> Device | None:
    devices = sorted(engagement.devices_on(point_key), key=lambda d: _EDGE_ORDER.get(d.role, 99))
    return devices[0] if devices else None


def _device_recipient(device: Device, point: ConnectionPoint | None) -> Recipient:
    """The device's manager, or the line's vendor where the hospital manages the device."""
    if (
        device.managed_by.kind is HolderKind.HOSPITAL
        and point is not None
        and point.contract_holder.kind is HolderKind.VENDOR
    ):
        return point.contract_holder
    return device.managed_by


def plan_requests(engagement: Engagement, undetermined: Iterable[str] = ()) -> list[RequestDraft]:
    """One draft per device (or device-less line) whose firmware or address is missing.

    ``undetermined`` are addresses where the diagnosis found a device whose firmware
    version no port showed ("firmware version not determined"): a line with no device
    on record is asked for the firmware of what answers on it too.
    """
    points = {p.key: p for p in engagement.connection_points if p.in_ehr_scope}
    unknown = set(undetermined)
    firmware_unknown = {
        key
        for key, point in points.items()
        if unknown & {str(a.address) for a in point.addresses} and not engagement.devices_on(key)
    }
    covered: set[str] = set()
    drafts: list[RequestDraft] = []
    for device in engagement.devices:
        own_points = [points[key] for key in device.connection_points if key in points]
        if not own_points:
            continue  # only on out-of-scope networks
        wants: list[Want] = []
        if not device.version_known:
            wants.append(Want.FIRMWARE)
        line = own_points[0]
        for point in own_points:
            edge = edge_device(engagement, point.key)
            point_wants = address_wants(point)
            if edge is not None and edge.key == device.key and point_wants:
                wants += [w for w in point_wants if w not in wants]
                covered.add(point.key)
                line = point
                break
        if wants:
            drafts.append(
                RequestDraft(device.key, line.key, _device_recipient(device, line), tuple(wants))
            )
    for point in points.values():
        if point.key in covered:
            continue
        point_wants = address_wants(point)
        if point.key in firmware_unknown:
            point_wants = (Want.FIRMWARE, *point_wants)
        if not point_wants:
            continue
        edge = edge_device(engagement, point.key)
        if edge is None:
            drafts.append(RequestDraft(None, point.key, point.contract_holder, point_wants))
        else:  # the edge device's own request was about another of its lines
            drafts.append(
                RequestDraft(edge.key, point.key, _device_recipient(edge, point), point_wants)
            )
    return drafts
