"""Quote trimming against talon's expectations for replies from real mail clients
(see ../shared/data/SOURCES.md), compared the way talon's own tests compare. Pure."""

from __future__ import annotations

import email
import email.iterators
import re

from tests.triggers.email.conftest import MAIL_DATA
from triggers.email.parse import clean_html, parse_message
from triggers.email.quotes import trim_html, trim_text
from webapp.content.html import html_to_text

TALON = MAIL_DATA / "talon"
HTML_EXPECTED = "Hi. I am fine.\n\nThanks,\nAlex"
_SPACE = re.compile(r"\s")


def _plain_part(path) -> str:
    message = email.message_from_bytes(path.read_bytes())
    part = next(email.iterators.typed_subpart_iterator(message, subtype="plain"))
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def talon_results() -> dict[str, bool]:
    """Each talon sample → whether our trimming gives the expected reply."""
    results: dict[str, bool] = {}
    for path in sorted((TALON / "standard_replies").glob("*.eml")):
        expected_file = path.with_name(path.stem + "_reply_text")
        expected = expected_file.read_text().strip() if expected_file.exists() else "Hello"
        results[f"standard_replies/{path.name}"] = trim_text(_plain_part(path)).strip() == \
            expected
    for path in sorted((TALON / "html_replies").glob("*.html")):
        reply = html_to_text(clean_html(trim_html(path.read_text(encoding="utf-8"))))
        results[f"html_replies/{path.name}"] = _SPACE.sub("", reply) == _SPACE.sub(
            "", HTML_EXPECTED)
    share = parse_message((TALON / "reply-quotations-share-block.eml").read_bytes())
    trimmed = trim_text(share.plain_alternative or share.text)
    results["reply-quotations-share-block.eml"] = bool(trimmed.strip()) and \
        "From" not in trimmed
    return results


def test_talon_match_rate(capsys) -> None:
    results = talon_results()
    matched = sum(results.values())
    with capsys.disabled():
        print(f"\ntalon quote trimming: {matched}/{len(results)} samples match "
              f"({100 * matched / len(results):.0f}%)")
    assert [name for name, ok in results.items() if not ok] == []
    assert len(results) == 22  # 12 plain replies, 9 HTML replies, the share block


def test_inline_answers_are_kept_whole() -> None:
    text = "> Can you reboot it?\nDone, twice.\n> And the router?\nAlso rebooted.\n"
    assert trim_text(text) == text


def test_portuguese_and_spanish_attributions() -> None:
    pt = ("Obrigado, funcionou.\n\nEm seg., 2 de dez. de 2024 às 10:15, Suporte "
          "<suporte@desk.example> escreveu:\n\n> Reinicie o roteador.\n> Abraço\n")
    assert trim_text(pt).strip() == "Obrigado, funcionou."
    es = ("Gracias.\n\nEl lun, 2 dic 2024 a las 10:15, Soporte (<soporte@desk.example>) "
          "escribió:\n> Reinicie el router.\n> Saludos\n")
    assert trim_text(es).strip() == "Gracias."
    outlook_pt = ("Segue o anexo.\n\nDe: Suporte <suporte@desk.example>\nEnviado: segunda-"
                  "feira, 2 de dezembro de 2024 10:15\nPara: Maria\nAssunto: Fatura\n\n"
                  "Olá Maria, precisamos da fatura.\n")
    assert trim_text(outlook_pt).strip() == "Segue o anexo."


def test_ordinary_text_is_not_taken_for_a_quotation() -> None:
    text = ("On Monday we sent the invoice: it is attached.\nFrom: the accounts team\n"
            "To: you\nThanks\n")
    assert trim_text(text) == text
    only_quote = "> everything quoted\n> nothing new\n"
    assert trim_text(only_quote) == only_quote  # nothing left: keep it all
