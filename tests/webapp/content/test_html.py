"""HTML sanitizing (nh3) and plain text derived from it."""

import pytest

from webapp.content.html import html_to_text, sanitize_html


@pytest.mark.parametrize("dirty, forbidden", [
    ("<p onclick='steal()'>hi</p>", "onclick"),
    ("<script>alert(1)</script><p>x</p>", "<script"),
    ("<a href='javascript:alert(1)'>x</a>", "javascript:"),
    ("<a href='data:text/html;base64,PHNjcmlwdD4='>x</a>", "data:text/html"),
    ("<img src='data:image/svg+xml;base64,PHN2Zz4='>", "svg+xml"),
    ("<iframe src='https://evil.example'></iframe>", "<iframe"),
    ("<style>body{display:none}</style>", "<style"),
    ("<img src=x onerror=alert(1)>", "onerror"),
])
def test_dangerous_markup_is_removed(dirty, forbidden):
    assert forbidden not in sanitize_html(dirty)


def test_formatting_links_and_raster_inline_images_are_kept():
    clean = sanitize_html("<p><b>Hi</b> <a href='https://x.example/a'>link</a> "
                          "<img src='data:image/png;base64,iVBORw0KGgo=' alt='logo'></p>")
    assert "<b>Hi</b>" in clean
    assert 'href="https://x.example/a"' in clean and "nofollow" in clean
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in clean


def test_plain_text_keeps_paragraphs_and_decodes_entities():
    assert html_to_text("<p>Caf&eacute; &amp; bar</p><p>line<br>two</p>") == \
        "Café & bar\nline\ntwo"
    assert html_to_text("") == ""
