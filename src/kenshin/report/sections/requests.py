"""Section 7, the vendor requests: what was asked by which path, its state, the answer
and what the survey did with it."""

from __future__ import annotations

from dataclasses import dataclass

from kenshin.assess import redact
from kenshin.report.model import RequestRow
from kenshin.report.sections.context import ViewContext, jst


@dataclass(frozen=True)
class RequestLine:
    ref: str
    vendor: str
    subject: str  # what the request was about, and what it asked
    sent: str
    path: str
    status: str
    answer: str  # redacted
    used: str


def build_requests(context: ViewContext) -> tuple[RequestLine, ...] | None:
    """Each vendor request; None when the report does not know the requests."""
    if context.input.requests is None:
        return None
    t, sep = context.t, context.sep
    devices = {d.key: d for d in context.engagement.devices}
    points = {p.key: p for p in context.engagement.connection_points}
    rows = []
    for request in context.input.requests:
        about = (
            f"{request.device_key} {devices[request.device_key].name}"
            if request.device_key in devices
            else f"{request.point_key} {points[request.point_key].name}"
            if request.point_key in points
            else request.device_key or request.point_key or "-"
        )
        asked = sep.join(t(f"requests.want.{w}") for w in request.wants)
        answer = request.answer
        shown = [
            t(f"requests.want.{key}") + f": {redact(value)}"
            for key, value in answer.items()
            if key in ("firmware", "wan_ip", "isp")
        ]
        if "assignment" in answer:
            shown.append(t(f"label.assignment.{answer['assignment']}"))
        if answer.get("note"):
            shown.append(redact(answer["note"]))
        rows.append(
            RequestLine(
                ref=request.ref,
                vendor=request.vendor or "-",
                subject=f"{about}: {asked}",
                sent=t("report.requests.sent", date=jst(request.sent_at, with_time=False))
                if request.sent_at
                else t("report.requests.not_sent"),
                path=t(f"requests.path.{request.path}"),
                status=t(f"requests.state.{request.state}"),
                answer=sep.join(shown),
                used=_use(context, request),
            )
        )
    return tuple(rows)


def _use(context: ViewContext, request: RequestRow) -> str:
    """What the survey did with the answer, from the records it changed."""
    t = context.t
    device = next((d for d in context.engagement.devices if d.key == request.device_key), None)
    answer = request.answer
    if request.state in ("draft", "sent"):
        return t("report.requests.use.waiting")
    if request.state == "difficult":
        return t("report.requests.use.next_path")
    if request.state == "cancelled":
        return t("report.requests.use.cancelled")
    used = []
    if answer.get("firmware") and device is not None:
        checked = context.input.firmware is not None and any(
            r.device.key == device.key for r in context.input.firmware
        )
        used.append(
            t(
                "report.requests.use.firmware_checked"
                if checked
                else "report.requests.use.firmware_recorded",
                device=device.key,
            )
        )
    if answer.get("wan_ip"):
        diagnosed = any(a.address == answer["wan_ip"] and a.diagnosed for a in context.addresses)
        used.append(
            t(
                "report.requests.use.diagnosed"
                if diagnosed
                else "report.requests.use.address_recorded",
                address=answer["wan_ip"],
            )
        )
    return ("、" if context.lang == "ja" else "; ").join(used) or t("report.requests.use.recorded")
