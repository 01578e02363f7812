"""The surveyor edits the demo engagement's inventory in Chromium and watches the diagram
follow; the hospital sees the same diagram read-only. Screenshots land in
``test-artifacts/web/``."""

from __future__ import annotations

from tests.web import test_web_browser as browser
from tests.web.test_web_browser import _login, _shot

pytestmark = browser.pytestmark

server = browser.server  # the demo hospital, a surveyor, the hospital's and vendors' users
browser_page = browser.browser_page


def _diagram_text(page: object) -> str:
    """Every text line the inline SVG shows (Graphviz writes one <text> per label line)."""
    lines = page.eval_on_selector_all(  # type: ignore[attr-defined]
        "figure.diagram svg text", "nodes => nodes.map(n => n.textContent)"
    )
    return "\n".join(lines)


def test_surveyor_edits_the_diagram(server: str, browser_page: object) -> None:
    page = browser_page
    _login(page, server, "surveyor@kenshin.example")
    page.click("text=demo-2026")  # type: ignore[attr-defined]
    page.click("nav.tabs >> text=構成図・機器")  # type: ignore[attr-defined]
    page.wait_for_selector("figure.diagram svg")  # type: ignore[attr-defined]
    assert "CP-05" not in _diagram_text(page)
    _shot(page, "surveyor-diagram")

    # A remote-maintenance line held by the EHR vendor, with a fixed global IP.
    add = page.locator("#add-point")  # type: ignore[attr-defined]
    add.locator("summary").click()
    assert add.locator("input[name=key]").input_value() == "CP-05"  # the next free key
    add.locator("input[name=name]").fill("リモート保守回線（検査システム）")
    add.locator("select[name=kind]").select_option("remote_maintenance")
    add.locator("input[name=carrier]").fill("テスト保守網A")
    add.locator("select[name=holder]").select_option("vendor:V-EHR")
    add.locator("input[name=address]").first.fill("198.18.30.300")  # a typo first
    add.locator("select[name=assignment]").first.select_option("fixed")
    add.locator("button[type=submit]").click()
    page.wait_for_selector("#add-point[open] .field-error")  # type: ignore[attr-defined]
    add = page.locator("#add-point")  # type: ignore[attr-defined]
    assert "IPアドレスの形式ではありません" in add.locator(".field-error").inner_text()
    assert add.locator("input[name=name]").input_value() == "リモート保守回線（検査システム）"
    add.scroll_into_view_if_needed()
    _shot(page, "surveyor-diagram-field-error")
    add.locator("input[name=address]").first.fill("198.18.30.30")
    add.locator("button[type=submit]").click()
    page.wait_for_selector("p.notice")  # type: ignore[attr-defined]
    drawn = _diagram_text(page)
    assert "CP-05 リモート保守回線（検査システム）" in drawn
    assert "198.18.30.30" in drawn

    # A VPN router on that line, managed by the same vendor.
    add = page.locator("#add-device")  # type: ignore[attr-defined]
    add.locator("summary").click()
    assert add.locator("input[name=key]").input_value() == "DEV-06"
    add.locator("input[name=name]").fill("保守用VPNルータ")
    add.locator("select[name=role]").select_option("vpn_gateway")
    add.locator("input[name=vendor]").fill("YAMAHA")
    add.locator("input[name=model]").fill("RTX830")
    add.locator("input[name=firmware_version]").fill("Rev.15.02.30")
    add.locator("select[name=version_source]").select_option("vendor")
    add.locator("select[name=managed_by]").select_option("vendor:V-EHR")
    add.locator("input[name=point][value=CP-05]").check()
    add.locator("button[type=submit]").click()
    page.wait_for_selector("p.notice")  # type: ignore[attr-defined]
    drawn = _diagram_text(page)
    assert "DEV-06 保守用VPNルータ" in drawn
    assert "Rev.15.02.30" in drawn
    page.locator("#diagram").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    _shot(page, "surveyor-diagram-added")

    # The line cannot go while the router sits on it: the reason shows, nothing changes.
    page.click("#points + table [aria-label='削除 CP-05']")  # type: ignore[attr-defined]
    page.wait_for_selector("p.error")  # type: ignore[attr-defined]
    assert "DEV-06" in page.inner_text("div.error")  # type: ignore[attr-defined]
    _shot(page, "surveyor-diagram-refused")

    # Edit the line: another carrier and the address becomes dynamic.
    row = page.locator("#points + table tr.edit", has_text="変更: CP-05")  # type: ignore[attr-defined]
    row.locator("summary").click()
    row.locator("input[name=carrier]").fill("テスト保守網B")
    row.locator("select[name=assignment]").first.select_option("dynamic")
    row.locator("details button[type=submit]").click()
    page.wait_for_selector("p.notice")  # type: ignore[attr-defined]
    drawn = _diagram_text(page)
    assert "テスト保守網B" in drawn
    assert "テスト保守網A" not in drawn
    _shot(page, "surveyor-diagram-edited")

    # Remove the router, then the line: both leave the diagram.
    page.click("#devices + table [aria-label='削除 DEV-06']")  # type: ignore[attr-defined]
    page.wait_for_selector("p.notice")  # type: ignore[attr-defined]
    page.click("#points + table [aria-label='削除 CP-05']")  # type: ignore[attr-defined]
    page.wait_for_selector("p.notice")  # type: ignore[attr-defined]
    drawn = _diagram_text(page)
    assert "CP-05" not in drawn
    assert "DEV-06" not in drawn
    _shot(page, "surveyor-diagram-removed")


def test_hospital_sees_the_diagram_read_only(server: str, browser_page: object) -> None:
    page = browser_page
    _login(page, server, "it@demo-hospital.example")
    page.goto(f"{server}/engagements/demo-2026/diagram")  # type: ignore[attr-defined]
    page.wait_for_selector("figure.diagram svg")  # type: ignore[attr-defined]
    assert page.locator("main form").count() == 0  # type: ignore[attr-defined]
    assert "閲覧のみ" in page.inner_text("main")  # type: ignore[attr-defined]
    _shot(page, "hospital-diagram")
    page.goto(f"{server}/engagements/demo-2026/diagram?lang=en")  # type: ignore[attr-defined]
    assert "Connection-point diagram" in page.inner_text("main")  # type: ignore[attr-defined]
    assert "Internet" in _diagram_text(page)
    _shot(page, "hospital-diagram-en")
