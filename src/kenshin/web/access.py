"""Who may do what to which engagement: checked on the server for every object.

One table of rules, one function. Hospital users reach only the engagements they were
invited to; vendor users reach only what concerns their own vendor key (their requests
and the findings about devices and lines they manage). A refusal looks exactly like
"not found", so ids of other hospitals' engagements reveal nothing.
"""

from __future__ import annotations

from enum import StrEnum

from kenshin.domain import Engagement, Finding, HolderKind
from kenshin.web.accounts import Membership, Role, User


class Action(StrEnum):
    VIEW = "view"  # the engagement summary (hospital: its own; vendor: its own part)
    TRIAGE = "triage"  # accept / false positive / reopen a finding
    MARK_FIXED = "mark_fixed"  # a hospital says a finding was fixed
    CONFIRM_ADDRESS = "confirm_address"  # the dynamic IP on the diagnosis day
    AUTHORISE = "authorise"  # record the hospital's authorisation and the diagnosis window
    INVITE = "invite"
    HEARING = "hearing"  # fill in / upload the hearing sheet
    TERMINALS = "terminals"  # pick terminals, download the collector, upload its results
    REQUESTS = "requests"  # see requests (a vendor: only those addressed to it) and answer
    MANAGE_REQUESTS = "manage_requests"  # draft and send requests
    RUN_JOBS = "run_jobs"  # start / follow / cancel scans and reports
    REPORT = "report"  # read and download the report
    DIAGRAM = "diagram"  # see the connection-point diagram (構成図)
    EDIT_INVENTORY = "edit_inventory"  # change points, devices, vendors; import and export


_HOSPITAL = {
    Action.VIEW,
    Action.MARK_FIXED,
    Action.CONFIRM_ADDRESS,
    Action.HEARING,
    Action.TERMINALS,
    Action.REPORT,
    Action.DIAGRAM,
}
_VENDOR = {Action.VIEW, Action.REQUESTS}


def membership_for(memberships: list[Membership], code: str) -> Membership | None:
    return next((m for m in memberships if m.engagement_code == code), None)


def may(user: User, action: Action) -> bool:
    """What the user's role allows on an engagement it belongs to: the table above, which
    the pages also ask (``may`` in templates) to show only the tabs and buttons that work."""
    if user.is_staff:
        return True
    if user.role is Role.HOSPITAL:
        return action in _HOSPITAL
    if user.role is Role.VENDOR:
        return action in _VENDOR
    return False


def allowed(user: User, memberships: list[Membership], code: str, action: Action) -> bool:
    if user.is_staff:
        return True
    membership = membership_for(memberships, code)
    if membership is None:
        return False
    if user.role is Role.VENDOR and membership.vendor_key is None:
        return False
    return may(user, action)


def vendor_devices(engagement: Engagement, vendor_key: str) -> set[str]:
    """Keys of the devices a vendor manages."""
    return {
        d.key
        for d in engagement.devices
        if d.managed_by.kind is HolderKind.VENDOR and d.managed_by.vendor_key == vendor_key
    }


def vendor_points(engagement: Engagement, vendor_key: str) -> set[str]:
    """Keys of the lines that are wholly the vendor's: it holds the line's contract, or it
    manages every device on the line. A vendor that manages one device among others on a
    line sees that device's findings, not the line's."""
    devices = vendor_devices(engagement, vendor_key)
    found = set()
    for point in engagement.connection_points:
        on_line = {d.key for d in engagement.devices if point.key in d.connection_points}
        holder = point.contract_holder
        if (holder.kind is HolderKind.VENDOR and holder.vendor_key == vendor_key) or (
            on_line and on_line <= devices
        ):
            found.add(point.key)
    return found


def visible_findings(
    user: User, membership: Membership | None, engagement: Engagement, findings: list[Finding]
) -> list[Finding]:
    """Staff and the hospital see every finding; a vendor sees those about its own assets:
    its devices' findings, and the findings of lines that are wholly its own."""
    if user.role is not Role.VENDOR:
        return findings
    if membership is None or membership.vendor_key is None:
        return []
    devices = vendor_devices(engagement, membership.vendor_key)
    points = vendor_points(engagement, membership.vendor_key)
    addresses = {
        str(a.address) for p in engagement.connection_points if p.key in points for a in p.addresses
    }
    return [
        f
        for f in findings
        if f.subject.device_key in devices
        or (
            f.subject.device_key is None
            and (
                f.subject.point_key in points
                or (f.subject.address is not None and f.subject.address in addresses)
            )
        )
    ]
