"""Parsing against Zammad's expectations (sender, name, subject, content type, attachments)
and the charsets and malformations real mail has. Pure: no database."""

from __future__ import annotations

import hashlib
import json
from email.message import EmailMessage

import pytest

from tests.triggers.email.conftest import MAIL_DATA, sample
from triggers.email.errors import Unparseable
from triggers.email.parse import parse_message

FIXTURES = json.loads((MAIL_DATA / "zammad" / "expected.json").read_text())["fixtures"]
# Where we deliberately differ from Zammad (checked below instead):
#   mail050, mail077: Zammad finds no sender in `From: <John.Smith@example.com>`; we do.
#   mail071, mail076: unusable addresses (spaces, a stray quote) — we find no sender.
#   mail081: we read redacted@redacted as Zammad does; the intake refuses it (no TLD).
#   mail087: `From: Test test@example.com` — Zammad keeps the whole string as the name.
#   mail026: its HTML part is an empty layout table, so the text part is the body.
#   mail027: an HTML part holding only a (remote) image: Zammad falls back to text/plain.
SENDER_DIFFERS = {"mail050", "mail077", "mail071", "mail076"}
NAME_DIFFERS = {"mail087": "Test"}
CONTENT_TYPE_DIFFERS = {"mail026": "text/plain", "mail027": "text/html"}


def _expected(fixture: dict) -> dict:
    return {**fixture["expected_from_zammad"], **fixture.get("lenient_expectation", {})}


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f["id"] for f in FIXTURES])
def test_zammad_corpus_sender_subject_and_attachments(fixture: dict) -> None:
    raw = sample(f"zammad/{fixture['box']}")
    assert hashlib.sha256(raw).hexdigest() == fixture["box_sha256"]
    parsed = parse_message(raw)
    expected = _expected(fixture)

    assert parsed.subject == (expected.get("subject") or "").strip()
    if fixture["id"] not in SENDER_DIFFERS:
        assert parsed.sender is not None
        assert parsed.sender.email == expected["from_email"].lower()
        assert parsed.sender.name == NAME_DIFFERS.get(
            fixture["id"], expected.get("from_display_name") or "")
    content_type = CONTENT_TYPE_DIFFERS.get(fixture["id"], expected.get("content_type"))
    if content_type in ("text/plain", "text/html"):  # else absent or "n/a" in Zammad's
        assert parsed.content_type == content_type
    names = {a.filename: a for a in parsed.attachments}
    for attachment in expected.get("attachments", []):
        if attachment.get("zammad_html_alternative_copy") or attachment["filename"] == "file":
            continue  # Zammad's copy of the HTML part / its name for unnamed parts
        if attachment.get("size") == 0:
            continue  # an empty part: nothing to keep
        assert attachment["filename"] in names, (attachment["filename"], list(names))
        if "md5" in attachment and attachment.get("mime_type", "").startswith(
                ("text/csv", "text/plain", "image/", "application/pdf")):
            data = names[attachment["filename"]].data
            assert hashlib.md5(data).hexdigest() == attachment["md5"]


def test_senders_zammad_cannot_read_and_unusable_ones() -> None:
    assert parse_message(sample("zammad/mail050.box")).sender.email == "john.smith@example.com"
    assert parse_message(sample("zammad/mail071.box")).sender is None
    assert parse_message(sample("zammad/mail076.box")).sender is None


def test_text_bodies_in_their_charsets() -> None:
    iso = parse_message(sample("zammad/mail014.box"))  # ISO-8859-1 quoted-printable
    assert iso.text.startswith("äöüß ad asd")
    czech = parse_message(sample("zammad/mail068.box"))  # windows-1250 8-bit, junk first line
    assert czech.sender.email == "xxxxx@xxxxx.cz" and czech.subject == "Contact from Server"
    assert "Čtvrtek" in czech.text
    japanese = parse_message(sample("zammad/mail091.box"))  # ISO-2022-JP
    assert japanese.text == "このアドレスへのメルマガを解除してください。"
    chinese = parse_message(sample("mail-parser/mail_test_12.eml"))  # GB2312 (GBK in fact)
    assert chinese.subject == "代开各地增值税发票" and "\ufffd" not in chinese.text


def _portuguese_and_spanish() -> bytes:
    return (
        "From: =?ISO-8859-1?Q?Jo=E3o_Concei=E7=E3o?= <joao@cliente.com.br>\r\n"
        "To: suporte@desk.example\r\n"
        "Subject: =?ISO-8859-1?Q?Solicita=E7=E3o_de_or=E7amento?= =?UTF-8?B?"
        "IOKAkyBhw7pu?=\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Ol=E1, a conex=E3o caiu de novo. Obrigado!\r\n"
    ).encode("ascii")


def test_portuguese_and_spanish_encoded_words_and_bodies() -> None:
    parsed = parse_message(_portuguese_and_spanish())
    assert parsed.sender.name == "João Conceição"
    assert parsed.subject == "Solicitação de orçamento – aún"
    assert parsed.text.strip() == "Olá, a conexão caiu de novo. Obrigado!"

    spanish = EmailMessage()
    spanish["From"] = "Íñigo Muñoz <inigo@empresa.es>"
    spanish["To"] = "soporte@desk.example"
    spanish["Subject"] = "¿Dónde está mi factura?"
    spanish.set_content("Señores: no recibí la factura de diciembre.")
    spanish.add_alternative("<p>Señores: <b>no</b> recibí la factura.</p><script>x()</script>",
                            subtype="html")
    parsed = parse_message(spanish.as_bytes())
    assert (parsed.sender.email, parsed.sender.name) == ("inigo@empresa.es", "Íñigo Muñoz")
    assert parsed.subject == "¿Dónde está mi factura?"
    assert parsed.content_type == "text/html"
    assert parsed.html == "<p>Señores: <b>no</b> recibí la factura.</p>"  # sanitized
    assert parsed.text == "Señores: no recibí la factura."
    assert parsed.plain_alternative.strip() == "Señores: no recibí la factura de diciembre."


def test_inline_image_attachment_and_rfc2231_name() -> None:
    image = parse_message(sample("zammad/mail079.box"))
    [jpg] = image.attachments
    assert (jpg.filename, jpg.inline) == ("a.jpg", True)
    assert jpg.content_id and f"cid:{jpg.content_id}" in image.raw_html
    [txt] = parse_message(sample("zammad/mail081.box")).attachments
    assert (txt.filename, txt.data) == ("Erklärung.txt", b"Hello World\n")


def test_bounce_names_the_mail_it_returns() -> None:
    bounce = parse_message(sample("zammad/mail033-undelivered-mail-returned-to-sender-"
                                  "notification.box"))
    assert {a.filename for a in bounce.attachments} == {"Delivery report.txt",
                                                        "test [Ticket#10010].eml"}
    assert bounce.embedded_message_ids  # the original's Message-ID, to find its ticket


def test_threading_headers() -> None:
    parsed = parse_message(b"From: a@b.example\r\nIn-Reply-To: <one@x>\r\n"
                           b"References: <zero@x>\r\n <one@x>  <two@x>\r\nMessage-Id: bare@x\r\n"
                           b"Subject: hi\r\n\r\nbody\r\n")
    assert parsed.message_id == "bare@x"  # sent without brackets (mail068, mail087)
    assert parsed.thread_ids == ["one@x", "two@x", "zero@x"]


def test_a_boundary_the_sender_never_used_is_recovered() -> None:
    parsed = parse_message(sample("mail-parser/mail_malformed_3.eml"))
    assert parsed.content_type == "text/html" and "Problemas para visualizar" in parsed.text


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"\x00\x01\x02 binary garbage"])
def test_what_is_not_mail_is_named(raw: bytes) -> None:
    with pytest.raises(Unparseable) as failure:
        parse_message(raw)
    assert "empty" in str(failure.value) or "no header lines" in str(failure.value)
