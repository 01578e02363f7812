"""The inventory sections as the JSON API takes them: the bodies, and the one table
(``RESOURCES``) from which ``web/inventory.py`` generates the add/edit/remove routes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, create_model

from kenshin import inventory
from kenshin.domain import (
    AddressAssignment,
    ConnectionKind,
    DeviceRole,
    EngagementStatus,
    HolderKind,
    VersionSource,
)
from kenshin.intake.engagement_file import MAX_BEDS
from kenshin.web.access import Action

# -- JSON bodies (the document format of the engagement file) --------------------------


class HolderBody(BaseModel):
    kind: HolderKind = HolderKind.HOSPITAL
    vendor: str | None = None
    name: str = ""


class AddressBody(BaseModel):
    address: str
    assignment: AddressAssignment = AddressAssignment.UNKNOWN


class ContactBody(BaseModel):
    name: str
    role: str = ""
    email: str = ""
    phone: str = ""


class PointBody(BaseModel):
    key: str
    name: str
    kind: ConnectionKind
    in_ehr_scope: bool = True
    scope_reason: str = ""
    internet_reachable: bool | None = None  # default: by kind
    carrier: str = ""
    contract_holder: HolderBody = HolderBody()
    addresses: list[AddressBody] = []
    description: str = ""


class DeviceBody(BaseModel):
    key: str
    name: str
    role: DeviceRole
    vendor: str = ""
    model: str = ""
    firmware_version: str = ""
    version_source: VersionSource | None = None
    version_unavailable_reason: str = ""
    connection_points: list[str] = []
    managed_by: HolderBody = HolderBody()
    notes: str = ""


class VendorBody(BaseModel):
    key: str
    company: str
    manages: str = ""
    contacts: list[ContactBody] = []


class EngagementBody(BaseModel):
    code: str
    title: str
    institution: str
    prefecture: str = ""
    bed_count: int | None = Field(default=None, ge=0, le=MAX_BEDS)
    status: EngagementStatus = EngagementStatus.DRAFT


class EngagementFile(BaseModel):
    yaml: str  # the engagement file's text (kenshin.engagement/1)


def changes_of(body: type[BaseModel]) -> type[BaseModel]:
    """The PATCH body of a section: every field of its POST body but the key, optional.

    A field left out stays as it is; a list given replaces the list (kept addresses keep
    their confirmations).
    """
    fields: dict[str, Any] = {}
    for name, info in body.model_fields.items():
        annotation: Any = info.annotation
        if name != "key":
            fields[name] = (annotation | None, None)
    changes: type[BaseModel] = create_model(body.__name__.replace("Body", "Changes"), **fields)
    return changes


# -- the inventory sections: one table drives the JSON CRUD routes -----------------------


@dataclass(frozen=True)
class Resource:
    """One inventory section as the JSON API serves it.

    ``section`` is the URL word, ``part`` the engagement document's section (what
    ``kenshin.inventory`` edits), ``body``/``changes`` the POST and PATCH bodies,
    ``defaults`` what a new item gets, ``action`` who may change it. Every change is
    audited as ``inventory.add|edit|remove`` with the section.
    """

    section: str
    name: str  # singular, for the routes' names (api_add_point, ...)
    part: str
    body: type[BaseModel]
    changes: type[BaseModel]
    defaults: Callable[[dict[str, Any]], dict[str, Any]] = dict
    action: Action = Action.EDIT_INVENTORY


RESOURCES = (
    Resource(
        "points",
        "point",
        "connection_points",
        PointBody,
        changes_of(PointBody),
        defaults=inventory.with_point_defaults,
    ),
    Resource("devices", "device", "devices", DeviceBody, changes_of(DeviceBody)),
    Resource("vendors", "vendor", "vendors", VendorBody, changes_of(VendorBody)),
)
RESOURCE = {r.section: r for r in RESOURCES}
# URL word → engagement document section.
SECTIONS = {r.section: r.part for r in RESOURCES}
