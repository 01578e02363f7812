"""Issue #19's usability items, checked in Debian's Chromium with a screenshot each.

Buttons and identifiers do not wrap mid-word, the diagram's text is readable, raw values
(``fixed``, ``written``) appear in Japanese, a vendor's note reaches the surveyor, a
vendor adds a file after answering, removing a terminal asks first, and the invitation
page lists vendors, users and open invitations.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.web import test_web_browser
from tests.web.test_web_browser import _login, _shot

pytestmark = pytest.mark.browser

server = test_web_browser.server  # one web server for this module (the demo hospital)
browser_page = test_web_browser.browser_page


def test_buttons_and_identifiers_do_not_wrap_mid_word(server: str, browser_page: Any) -> None:
    page = browser_page
    page.set_viewport_size({"width": 760, "height": 900})
    _login(page, server, "it@demo-hospital.example")
    page.goto(f"{server}/engagements/demo-2026")
    button = page.locator("text=対応済にする").first
    box = button.bounding_box()
    line = float(button.evaluate("b => parseFloat(getComputedStyle(b).fontSize)"))
    assert box["height"] < 2.2 * line + 12  # one line, not four
    assert button.evaluate("b => getComputedStyle(b).whiteSpace") == "nowrap"
    _shot(page, "usability-narrow-engagement")


def test_diagram_text_is_readable(server: str, browser_page: Any) -> None:
    page = browser_page
    _login(page, server, "surveyor@kenshin.example")
    page.goto(f"{server}/engagements/demo-2026/diagram")
    heights = page.eval_on_selector_all(
        "figure.diagram svg text", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights
    assert min(h for h in heights if h > 0) >= 11  # was about 8 px
    _shot(page, "usability-diagram")


def test_vendor_note_reaches_the_surveyor_and_files_follow_the_answer(
    server: str, browser_page: Any
) -> None:
    page = browser_page
    _login(page, server, "ehr@vendor.example")
    page.goto(f"{server}/engagements/demo-2026/requests")
    form = page.locator("form.answer").first
    form.locator("input[name=firmware]").fill("9.1R5")
    form.locator("input[name=note]").fill("夜間のみ作業可能です")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    later = page.locator("details.add").first
    later.locator("summary").click()
    later.locator("input[name=note]").fill("訂正: 正しくは 9.1R6 です")
    later.locator("button[type=submit]").click()
    page.wait_for_load_state()
    _shot(page, "usability-vendor-after-answer")
    _login(page, server, "surveyor@kenshin.example")
    page.goto(f"{server}/engagements/demo-2026/requests")
    text = page.inner_text("main")
    assert "夜間のみ作業可能です" in text
    assert "回答後の備考.txt" in text
    _shot(page, "usability-surveyor-sees-note")


def test_removing_a_terminal_asks_first(server: str, browser_page: Any) -> None:
    page = browser_page
    _login(page, server, "it@demo-hospital.example")
    page.goto(f"{server}/engagements/demo-2026/terminals")
    rows = page.locator("form[data-confirm]")
    before = rows.count()
    assert before > 0
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    rows.first.locator("button").click()
    page.wait_for_timeout(300)
    assert asked
    assert "外します" in asked[0]
    assert page.locator("form[data-confirm]").count() == before  # nothing removed
    page.once("dialog", lambda dialog: dialog.accept())
    rows.first.locator("button").click()
    page.wait_for_load_state()
    assert page.locator("form[data-confirm]").count() == before - 1
    _shot(page, "usability-terminal-removed")


def test_invitation_page_lists_vendors_users_and_invitations(
    server: str, browser_page: Any
) -> None:
    page = browser_page
    _login(page, server, "surveyor@kenshin.example")
    page.goto(f"{server}/admin/users")
    options = page.eval_on_selector_all("#vendor option", "els => els.map(e => e.value)")
    assert "demo-2026|V-NET" in options
    page.fill("#email", "second@vendor.example")
    page.select_option("#role", "vendor")
    page.select_option("#vendor", "demo-2026|V-NET")
    page.click("#invite button[type=submit]")
    page.wait_for_load_state()
    assert "/invite/" in page.inner_text("code.link")
    text = page.inner_text("#invitations")
    assert "second@vendor.example" in text
    assert "net@vendor.example" in page.inner_text("#users")
    _shot(page, "usability-users")
    page.goto(f"{server}/engagements/demo-2026/jobs")
    assert "written" not in page.inner_text("main")


@pytest.mark.parametrize("width", [1450, 760])
def test_engagement_tables_fit_the_page(server: str, browser_page: Any, width: int) -> None:
    """The surveyor's view has the confirm buttons in the address column: no table may run
    past the page's content box (it ran about 60 px past it at 1,450 px)."""
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    _login(page, server, "surveyor@kenshin.example")
    page.goto(f"{server}/engagements/demo-2026")
    overflow = page.eval_on_selector_all(
        "main table",
        "tables => tables.map(t => t.getBoundingClientRect().right"
        " - t.closest('main').getBoundingClientRect().right"
        " + parseFloat(getComputedStyle(t.closest('main')).paddingRight))",
    )
    _shot(page, f"engagement-tables-{width}")
    assert overflow
    assert max(overflow) <= 0.5, overflow
