"""The Portals staff screen: validation, logo upload, public address, presets, rights."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from tests.clients import Browser
from webapp.models import Portal, PortalVisibility, Recipe
from webapp.portal.presets import SLA_RECIPE, SURVEY_RECIPE

# The smallest valid PNG (1×1) and GIF.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00" \
      b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def _form(**overrides):
    data = {"name": "Acme support", "slug": "acme", "visibility": "organization",
            "primary_colour": "#112233", "accent_colour": "#445566", "default_locale": "pt",
            "time_zone": "Europe/Lisbon", "login_required": "y", "self_signup": "y",
            "chat_enabled": "y", "survey_enabled": "y", "welcome_text": "Hello!"}
    data.update(overrides)
    return data


def _portal(make, slug):
    make.session.expire_all()
    return make.session.scalar(select(Portal).where(Portal.slug == slug))


def test_add_validates_colours_slug_time_zone_and_logo(app, client, make):
    browser = Browser(app, client, make.user("Admin").username)
    for bad, message in [
        ({"primary_colour": "blue"}, "Use a colour as #rrggbb"),
        ({"accent_colour": "#12345"}, "Use a colour as #rrggbb"),
        ({"slug": "Acme Support"}, "Use lower-case letters"),
        ({"time_zone": "Moon/Base"}, "Unknown time zone"),
        ({"logo_file": (io.BytesIO(b"<svg onload=alert(1)>"), "logo.png")},
         "upload a PNG, JPEG, GIF or WebP image"),
        ({"logo_file": (io.BytesIO(PNG + b"\0" * (512 * 1024)), "big.png")},
         "larger than 512 KiB (524,288 bytes)"),
    ]:
        # Form errors re-render the form; errors of the upload are flashed on the next page.
        response = browser.post("/portals/add", data=_form(**bad),
                                content_type="multipart/form-data", follow_redirects=True)
        assert message in response.get_data(as_text=True), bad
        assert _portal(make, "acme") is None

    added = browser.post("/portals/add", data=_form(
        logo_file=(io.BytesIO(PNG), "logo.bin")), content_type="multipart/form-data")
    assert added.status_code == 302
    portal = _portal(make, "acme")
    assert portal.logo == PNG and portal.logo_content_type == "image/png"
    assert (portal.visibility, portal.default_locale, portal.primary_colour) == \
        (PortalVisibility.ORGANIZATION, "pt", "#112233")
    served = browser.get("/portal/acme/logo")
    assert served.data == PNG and served.headers["Content-Type"] == "image/png"

    # Edit: a new logo replaces the old one; "remove" drops it; other fields are kept.
    browser.post(f"/portals/edit/{portal.id}", data=_form(
        logo_file=(io.BytesIO(GIF), "x.png")), content_type="multipart/form-data")
    assert _portal(make, "acme").logo_content_type == "image/gif"
    browser.post(f"/portals/edit/{portal.id}", data=_form(remove_logo="y"),
                 content_type="multipart/form-data")
    portal = _portal(make, "acme")
    assert portal.logo is None and portal.name == "Acme support"


def test_only_one_default_portal(app, client, make):
    browser = Browser(app, client, make.user("Admin").username)
    browser.post("/portals/add", data=_form(is_default="y"), content_type="multipart/form-data")
    assert _portal(make, "acme").is_default is True
    assert _portal(make, "help").is_default is False


def test_show_page_has_public_url_and_presets_apply(app, client, make):
    browser = Browser(app, client, make.user("Admin").username)
    portal = _portal(make, "help")
    page = browser.page(f"/portals/show/{portal.id}")
    assert re.search(r'href="http://[^"]+/portal/help/"', page)
    assert "Internal help desk" in page and "External customers" in page
    # The widget snippet loads the script of this portal, from this server.
    assert re.search(r'&lt;script src=&#34;http://[^&]+/widget/help/widget\.js&#34; async&gt;'
                     r'&lt;/script&gt;', page), page[page.find("rd-widget-snippet"):][:300]

    applied = browser.post(f"/portals/apply_preset/{portal.id}", data={"preset": "internal"})
    assert applied.status_code == 200
    body = applied.get_data(as_text=True)
    assert "Portal visibility" not in body  # the default portal already shows own items
    assert "Portal satisfaction survey: on → off" in body
    assert "Attach the default SLA to new tickets" in body
    make.session.expire_all()
    assert make.session.scalar(select(Recipe.enabled).where(
        Recipe.builtin_key == SLA_RECIPE)) is False
    assert make.session.scalar(select(Recipe.enabled).where(
        Recipe.builtin_key == SURVEY_RECIPE)) is False

    unknown = browser.post(f"/portals/apply_preset/{portal.id}", data={"preset": "nope"})
    assert unknown.status_code == 302
    assert "unknown preset" in browser.page(f"/portals/show/{portal.id}")


def test_agents_see_portals_but_cannot_change_them(app, client, make):
    browser = Browser(app, client, make.user("Agent").username)
    portal = _portal(make, "help")
    assert browser.get("/portals/list/").status_code == 200
    refused = browser.post(f"/portals/apply_preset/{portal.id}", data={"preset": "external"})
    assert refused.status_code in (302, 403)
    make.session.expire_all()
    assert _portal(make, "help").visibility == PortalVisibility.OWN
    assert make.session.scalar(select(Recipe.enabled).where(
        Recipe.builtin_key == SLA_RECIPE)) is True
