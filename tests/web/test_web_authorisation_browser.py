"""The survey team records the hospital's authorisation and window in Debian's Chromium:
the form's datetime-local fields are Japan time, the page then shows what was recorded,
and a hospital user sees the record but no form."""

from __future__ import annotations

from typing import Any

import pytest
from tests.web import test_web_browser
from tests.web.test_web_browser import _login, _shot

pytestmark = pytest.mark.browser

server = test_web_browser.server  # this module's own web server (the demo hospital)
browser_page = test_web_browser.browser_page


def test_surveyor_records_the_authorisation_and_window(server: str, browser_page: Any) -> None:
    page = browser_page
    _login(page, server, "surveyor@kenshin.example")
    page.goto(f"{server}/engagements/demo-2026")
    form = page.locator("form[action$='/authorisation']")
    form.locator("input[name=approved_by]").fill("院長 健診 一郎")
    form.locator("input[name=document_ref]").fill("承諾書 2026-002")
    form.locator("input[name=window_start]").fill("2026-12-10T20:00")
    form.locator("input[name=window_end]").fill("2026-12-11T06:00")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server}/engagements/demo-2026#authorisation")
    shown = page.locator("h2#authorisation + div.card").inner_text()
    assert "承諾書 2026-002" in shown
    assert "2026-12-10 20:00 〜 2026-12-11 06:00" in shown
    _shot(page, "authorisation-recorded")
    _login(page, server, "it@demo-hospital.example")
    page.goto(f"{server}/engagements/demo-2026")
    assert "承諾書 2026-002" in page.locator("h2#authorisation + div.card").inner_text()
    assert page.locator("form[action$='/authorisation']").count() == 0
