"""The connection-point diagram as a Graphviz graph (DOT text); layout is Graphviz's job.

Top to bottom: where traffic comes from (the internet, closed networks, remote
maintenance sites) → the lines (carrier, contract holder, fixed/dynamic global IP)
→ the routers, UTMs, firewalls, IPS/IDS on them → the EHR network. Everything in the
EHR scope sits in a dashed frame, the survey range (調査範囲); lines that reach the
internet with a known global IP are the diagnosis points (脆弱性診断箇所) and get a red
frame; lines held in a vendor's name are filled orange; out-of-scope networks are
drawn apart, in grey, with the reason. A legend (凡例) explains the marks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kenshin.domain import (
    ConnectionKind,
    ConnectionPoint,
    ContractHolder,
    Device,
    DeviceRole,
    Engagement,
    HolderKind,
    VersionSource,
)
from kenshin.i18n import in_language, translate

FONT = "Noto Sans CJK JP"

# Colours (named, so the legend and the nodes cannot drift apart).
DIAGNOSIS_COLOUR = "#d62728"
SURVEY_COLOUR = "#1f77b4"
VENDOR_FILL = "#ffe0b2"
OUT_OF_SCOPE_COLOUR = "#9e9e9e"
OUT_OF_SCOPE_FILL = "#f2f2f2"
DEVICE_FILL = "#e3f2fd"
EHR_FILL = "#e8f5e9"

# Order of devices on one line, from the line inwards.
_ROLE_ORDER = {
    DeviceRole.ROUTER: 0,
    DeviceRole.VPN_GATEWAY: 1,
    DeviceRole.UTM: 2,
    DeviceRole.FIREWALL: 3,
    DeviceRole.IPS: 4,
    DeviceRole.IDS: 5,
    DeviceRole.WIRELESS_AP: 6,
    DeviceRole.OTHER: 7,
}


def quote(text: str) -> str:
    """A DOT double-quoted string; newlines become centred line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@dataclass(frozen=True)
class DiagramText:
    """Every text the diagram shows, for checks (fonts) and tests."""

    labels: tuple[str, ...]

    def characters(self) -> set[str]:
        return {c for label in self.labels for c in label if not c.isspace()}


class _Builder:
    def __init__(self, engagement: Engagement, lang: str) -> None:
        self.engagement = engagement
        self.lang = lang
        self.lines: list[str] = []
        self.texts: list[str] = []
        self.edges: set[tuple[str, str]] = set()

    def t(self, key: str, **params: object) -> str:
        return translate(key, self.lang, **params)

    def node(self, name: str, label: str, **attrs: str) -> None:
        self.texts.append(label)
        extra = "".join(f", {k}={quote(v)}" for k, v in attrs.items())
        self.lines.append(f"  {quote(name)} [label={quote(label)}{extra}];")

    def edge(self, tail: str, head: str, **attrs: str) -> None:
        if (tail, head) in self.edges:
            return  # a device shared by two lines still has one link inwards
        self.edges.add((tail, head))
        extra = ", ".join(f"{k}={quote(v)}" for k, v in attrs.items())
        self.lines.append(f"  {quote(tail)} -> {quote(head)}" + (f" [{extra}];" if extra else ";"))

    # -- texts ----------------------------------------------------------------------

    def holder(self, holder: ContractHolder) -> str:
        return self.engagement.holder_name(holder) or self.t(f"label.holder.{holder.kind.value}")

    def point_label(self, point: ConnectionPoint) -> str:
        rows = [
            f"{point.key} {point.name}",
            self.t("diagram.kind", kind=self.t(f"label.kind.{point.kind.value}")),
        ]
        if point.carrier:
            rows.append(self.t("diagram.carrier", carrier=point.carrier))
        rows.append(self.t("diagram.holder", holder=self.holder(point.contract_holder)))
        if point.addresses:
            rows.extend(
                self.t(
                    "diagram.address",
                    address=str(a.address),
                    assignment=self.t(f"label.assignment.{a.assignment.value}"),
                )
                for a in point.addresses
            )
        elif point.internet_reachable:
            rows.append(self.t("diagram.address_unknown"))
        else:
            rows.append(self.t("diagram.no_internet"))
        if not point.in_ehr_scope and point.scope_reason:
            rows.append(self.t("diagram.out_of_scope_reason", reason=point.scope_reason))
        return "\n".join(rows)

    def device_label(self, device: Device) -> str:
        product = " ".join(p for p in (device.vendor, device.model) if p)
        role = self.t(f"label.role.{device.role.value}")
        rows = [f"{device.key} {device.name}", f"{role}: {product}" if product else role]
        if device.version_source is VersionSource.NOT_OBTAINED:
            rows.append(self.t("diagram.firmware_not_obtained"))
        elif device.firmware_version:
            rows.append(self.t("diagram.firmware", version=device.firmware_version))
        else:
            rows.append(self.t("diagram.firmware_unknown"))
        if device.managed_by.kind is not HolderKind.HOSPITAL:
            rows.append(self.t("diagram.managed_by", holder=self.holder(device.managed_by)))
        return "\n".join(rows)

    # -- the graph --------------------------------------------------------------------

    def source_of(self, point: ConnectionPoint, prefix: str) -> tuple[str, str, dict[str, str]]:
        """The node a line comes from: (name, label, attributes)."""
        cloud = {"shape": "ellipse", "style": "filled", "fillcolor": "white"}
        if point.kind is ConnectionKind.CLOSED_NETWORK:
            label = self.t("diagram.closed_network")
            if point.carrier:
                label += "\n" + point.carrier
            return f"{prefix}closed:{point.key}", label, cloud
        if point.internet_reachable:
            return f"{prefix}internet", self.t("diagram.internet"), cloud
        label = self.t("diagram.outside") + "\n" + self.t(f"label.kind.{point.kind.value}")
        return f"{prefix}outside:{point.key}", label, cloud

    def ordered_devices(self, point: ConnectionPoint) -> list[Device]:
        devices = self.engagement.devices_on(point.key)
        return sorted(devices, key=lambda d: _ROLE_ORDER.get(d.role, 99))

    def draw_points(
        self,
        points: Iterable[ConnectionPoint],
        *,
        in_scope: bool,
        drawn_devices: set[str],
        sources: set[str],
        sink: str,
    ) -> None:
        prefix = "" if in_scope else "oos:"
        for point in points:
            source, source_label, source_attrs = self.source_of(point, prefix)
            if source not in sources:
                sources.add(source)
                if not in_scope:
                    source_attrs = {**source_attrs, "color": OUT_OF_SCOPE_COLOUR}
                self.node(source, source_label, **source_attrs)
            line = f"line:{point.key}"
            attrs = {"shape": "box", "style": "filled,rounded", "fillcolor": "white"}
            if not in_scope:
                attrs.update(color=OUT_OF_SCOPE_COLOUR, fillcolor=OUT_OF_SCOPE_FILL)
            elif point.contract_holder.kind is HolderKind.VENDOR:
                attrs["fillcolor"] = VENDOR_FILL
            if in_scope and point.is_diagnosis_candidate and point.addresses:
                attrs.update(color=DIAGNOSIS_COLOUR, penwidth="3")
            self.node(line, self.point_label(point), **attrs)
            edge_style = {"color": OUT_OF_SCOPE_COLOUR} if not in_scope else {}
            if point.kind is ConnectionKind.REMOTE_MAINTENANCE:
                site = f"{prefix}site:{point.key}"
                holder = self.holder(point.contract_holder)
                label = self.t("diagram.remote_site")
                if point.contract_holder.kind is HolderKind.VENDOR:
                    label += "\n" + holder
                sources.add(site)
                self.node(site, label, shape="component", style="filled", fillcolor="white")
                self.edge(site, line, style="dashed", **edge_style)
            self.edge(source, line, **edge_style)
            previous = line
            for device in self.ordered_devices(point):
                name = f"dev:{device.key}"
                if device.key not in drawn_devices:
                    drawn_devices.add(device.key)
                    fill = DEVICE_FILL if in_scope else OUT_OF_SCOPE_FILL
                    colour = "black" if in_scope else OUT_OF_SCOPE_COLOUR
                    self.node(
                        name,
                        self.device_label(device),
                        shape="box",
                        style="filled",
                        fillcolor=fill,
                        color=colour,
                    )
                self.edge(previous, name, **edge_style)
                previous = name
            self.edge(previous, sink, **edge_style)

    def legend(self) -> None:
        t = self.t
        rows = [
            f'<TR><TD COLSPAN="2" BORDER="0"><B>{_html(t("diagram.legend"))}</B></TD></TR>',
            f'<TR><TD BORDER="3" COLOR="{DIAGNOSIS_COLOUR}" WIDTH="40"> </TD>'
            f'<TD ALIGN="LEFT" BORDER="0">{_html(t("diagram.legend.diagnosis"))}</TD></TR>',
            f'<TR><TD BORDER="2" STYLE="dashed" COLOR="{SURVEY_COLOUR}"> </TD>'
            f'<TD ALIGN="LEFT" BORDER="0">{_html(t("diagram.legend.survey"))}</TD></TR>',
            f'<TR><TD BGCOLOR="{VENDOR_FILL}"> </TD>'
            f'<TD ALIGN="LEFT" BORDER="0">{_html(t("diagram.legend.vendor_line"))}</TD></TR>',
            f'<TR><TD BGCOLOR="{DEVICE_FILL}"> </TD>'
            f'<TD ALIGN="LEFT" BORDER="0">{_html(t("diagram.legend.device"))}</TD></TR>',
            f'<TR><TD BGCOLOR="{OUT_OF_SCOPE_FILL}" COLOR="{OUT_OF_SCOPE_COLOUR}"> </TD>'
            f'<TD ALIGN="LEFT" BORDER="0">{_html(t("diagram.legend.out_of_scope"))}</TD></TR>',
        ]
        for key in (
            "diagram.legend",
            "diagram.legend.diagnosis",
            "diagram.legend.survey",
            "diagram.legend.vendor_line",
            "diagram.legend.device",
            "diagram.legend.out_of_scope",
        ):
            self.texts.append(t(key))
        table = (
            '<TABLE BORDER="1" CELLBORDER="1" CELLSPACING="6" CELLPADDING="4" COLOR="black">'
            + "".join(rows)
            + "</TABLE>"
        )
        self.lines.append(f'  "legend" [shape=plain, label=<{table}>];')

    def build(self) -> str:
        engagement = self.engagement
        institution = in_language(
            self.lang, engagement.institution.name, engagement.institution.name_en
        )
        title = self.t("diagram.title", institution=institution)
        self.texts.append(title)
        self.lines += [
            "digraph kenshin {",
            f"  graph [rankdir=TB, labelloc=t, fontsize=18, fontname={quote(FONT)}, "
            f"label={quote(title)}, nodesep=0.4, ranksep=0.5, "
            'compound=true, bgcolor="white", pad=0.3];',
            f"  node [fontname={quote(FONT)}, fontsize=11];",
            f'  edge [fontname={quote(FONT)}, fontsize=10, arrowhead="none"];',
        ]
        in_scope = [p for p in engagement.connection_points if p.in_ehr_scope]
        out_of_scope = [p for p in engagement.connection_points if not p.in_ehr_scope]
        in_scope_device_keys = {d.key for p in in_scope for d in engagement.devices_on(p.key)}
        drawn: set[str] = set()
        sources: set[str] = set()

        survey = self.t("diagram.survey_range")
        self.texts.append(survey)
        # Lines, devices and the EHR network sit inside the survey range; where the
        # traffic comes from stays outside. Graphviz puts a node in the first subgraph
        # that mentions it, so the sources are declared before the cluster opens.
        body_start = len(self.lines)
        self.draw_points(in_scope, in_scope=True, drawn_devices=drawn, sources=sources, sink="ehr")
        self.node("ehr", self.t("diagram.ehr"), shape="box3d", style="filled", fillcolor=EHR_FILL)
        body = self.lines[body_start:]
        del self.lines[body_start:]
        source_lines = [line for line in body if _declares(line, sources)]
        self.lines += source_lines
        self.lines.append(
            "  { rank=source; " + "".join(f"{quote(s)}; " for s in sorted(sources)) + "}"
        )
        self.lines += [
            "  subgraph cluster_survey {",
            f"  label={quote(survey)}; style=dashed; color={quote(SURVEY_COLOUR)}; "
            f"fontcolor={quote(SURVEY_COLOUR)}; penwidth=2; labeljust=l;",
        ]
        self.lines += [line for line in body if line not in source_lines]
        if in_scope:
            same = "".join(f"{quote('line:' + p.key)}; " for p in in_scope)
            self.lines.append(f"  {{ rank=same; {same}}}")
        self.lines.append("  }")

        if out_of_scope:
            label = self.t("diagram.out_of_scope")
            self.texts.append(label)
            self.lines += [
                "  subgraph cluster_out_of_scope {",
                f"  label={quote(label)}; style=filled; color={quote(OUT_OF_SCOPE_COLOUR)}; "
                f"fillcolor={quote('#fafafa')}; fontcolor={quote(OUT_OF_SCOPE_COLOUR)}; "
                "labeljust=l;",
            ]
            drawn_oos = set(in_scope_device_keys)
            self.draw_points(
                out_of_scope,
                in_scope=False,
                drawn_devices=drawn_oos,
                sources=set(),
                sink="independent",
            )
            self.node(
                "independent",
                self.t("diagram.independent"),
                shape="box3d",
                style="filled",
                fillcolor=OUT_OF_SCOPE_FILL,
                color=OUT_OF_SCOPE_COLOUR,
            )
            self.lines.append("  }")
        self.legend()
        self.lines.append('  { rank=sink; "legend"; }')
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"


def _declares(line: str, names: set[str]) -> bool:
    stripped = line.strip()
    return any(stripped.startswith(f"{quote(name)} [label=") for name in names)


def to_dot(engagement: Engagement, lang: str = "ja") -> tuple[str, DiagramText]:
    """The diagram of ``engagement`` as DOT text, with every text it shows."""
    builder = _Builder(engagement, lang)
    dot = builder.build()
    return dot, DiagramText(tuple(builder.texts))
