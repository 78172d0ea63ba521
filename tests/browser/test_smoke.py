"""The browser harness itself: Debian's Chromium renders a portal page served on 127.0.0.1."""

from tests.browser.conftest import screenshot


def test_chromium_renders_the_portal(live_server, page):
    page.goto(f"{live_server.url}/portal/")
    assert page.url.endswith("/portal/help/")
    assert page.locator(".portal-brand").inner_text().strip() == "Help center"
    assert screenshot(page, "portal-home").stat().st_size > 1000
