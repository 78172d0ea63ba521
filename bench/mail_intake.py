"""Messages per second from SMTP to a stored ticket, against the raw aiosmtpd accept rate.

Same run, same client code (C concurrent smtplib connections sending N messages in all):

* baseline: an aiosmtpd server whose handler answers 250 at once (nothing stored).
* intake:   ``relaydesk smtpd``'s server on a fresh PostgreSQL database: each 250 comes after
  the raw mail is stored and then parsed and filed as a ticket (customer, organization,
  item, message, Message-ID index, outbox events — one transaction).

The messages are realistic and distinct per round (a few sender domains, names with
accents, an HTML alternative, a small attachment on every fifth). Rounds alternate;
the last line is ``ratio=<intake msgs/s ÷ baseline msgs/s>`` from the medians.

    .venv/bin/python bench/mail_intake.py [--messages 400] [--clients 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import smtplib
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from sqlalchemy import func, select  # noqa: E402

from bench.harness import fresh_database, log, migrated_app, percentile  # noqa: E402

SUPPORT = "support@desk.example"
DOMAINS = ("acme.example", "gmail.com", "clinica-sol.com.br", "ferreteria.es", "ops.example")
NAMES = ("Maria Souza", "João Conceição", "Íñigo Muñoz", "Ana Lima", "Chris Doe")


def messages(count: int, round_no: int) -> list[bytes]:
    out = []
    for n in range(count):
        message = EmailMessage()
        name, domain = NAMES[n % len(NAMES)], DOMAINS[n % len(DOMAINS)]
        message["From"] = f"{name} <user{n % 50}.r{round_no}@{domain}>"
        message["To"] = SUPPORT
        message["Subject"] = f"Pedido {round_no}-{n}: a conexão caiu de novo"
        message["Message-ID"] = f"<{uuid.uuid4().hex}@{domain}>"
        message.set_content(f"Olá,\n\na conexão caiu de novo ({n}).\n\nObrigado,\n{name}\n")
        message.add_alternative(f"<p>Olá,</p><p>a conexão caiu de novo ({n}).</p>"
                                f"<p>Obrigado,<br>{name}</p>", subtype="html")
        if n % 5 == 0:
            message.add_attachment(b"router log line\n" * 64, maintype="text",
                                   subtype="plain", filename="router.log")
        out.append(message.as_bytes(policy=SMTP))
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def send_all(port: int, batch: list[bytes], clients: int) -> tuple[float, list[float]]:
    """Send ``batch`` over ``clients`` connections; (seconds, per-message latencies)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(part: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
            smtp.ehlo("bench.example")
            for raw in part:
                started = time.perf_counter()
                smtp.mail("sender@bench.example")
                smtp.rcpt(SUPPORT)
                code, text = smtp.data(raw)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if code != 250:
                        errors.append(f"{code} {text!r}")

    parts = [batch[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=client, args=(p,)) for p in parts]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} messages refused, e.g. {errors[0]}")
    return seconds, latencies


class Accept:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    from webapp.access.scope import SYSTEM
    from webapp.commands.write_check import check_write
    from webapp.extensions import db
    from webapp.mail import smtp_server
    from webapp.models import InboundMail, InboundStatus, ItemType, Project, SupportAddress

    with fresh_database() as url, tempfile.TemporaryDirectory() as data_dir:
        app = migrated_app(url, data_dir)
        with app.app_context():
            project = Project(name="Support")
            db.session.add(project)
            db.session.commit()
            ticket = db.session.scalars(select(ItemType).where(ItemType.name == "Ticket")).one()
            check_write(db.session, SupportAddress(address=SUPPORT, project_id=project.id,
                                                   item_type_id=ticket.id), SYSTEM, is_new=True)
            db.session.commit()
            db.session.remove()
        baseline = Controller(Accept(), hostname="127.0.0.1", port=free_port())
        baseline.start()
        intake = smtp_server(app, "127.0.0.1", free_port()).start()
        rates: dict[str, list[float]] = {"baseline": [], "intake": []}
        latency: dict[str, list[float]] = {"baseline": [], "intake": []}
        try:
            send_all(baseline.port, messages(20, 0), args.clients)  # warm up both
            send_all(intake.port, messages(20, 0), args.clients)
            order = ["baseline", "intake", "intake", "baseline"] * args.rounds
            for index, kind in enumerate(order[: 2 * args.rounds]):
                batch = messages(args.messages, index + 1)
                port = baseline.port if kind == "baseline" else intake.port
                seconds, latencies = send_all(port, batch, args.clients)
                rates[kind].append(len(batch) / seconds)
                latency[kind] += latencies
                log(f"round {index + 1}: {kind:8s} {len(batch) / seconds:8.1f} msgs/s")
        finally:
            intake.stop()
            baseline.stop()
        with app.app_context():
            tickets = db.session.scalar(select(func.count()).select_from(InboundMail).where(
                InboundMail.status == InboundStatus.TICKET))
            total = db.session.scalar(select(func.count()).select_from(InboundMail))
            db.session.remove()
    expected = 20 + args.messages * args.rounds
    if tickets != expected or total != expected:
        raise SystemExit(f"expected {expected} tickets, stored {total}, tickets {tickets}")
    base = statistics.median(rates["baseline"])
    ours = statistics.median(rates["intake"])
    print(f"messages: {args.messages} per round, {args.clients} SMTP clients, "
          f"{args.rounds} rounds each; every intake message became a ticket ({tickets})")
    for kind, rate in (("raw aiosmtpd accept", base), ("intake → stored ticket", ours)):
        key = "baseline" if kind.startswith("raw") else "intake"
        print(f"{kind:24s} {rate:8.1f} msgs/s   latency p50 "
              f"{1000 * percentile(latency[key], 0.5):6.1f} ms  p95 "
              f"{1000 * percentile(latency[key], 0.95):6.1f} ms")
    print(f"ratio={ours / base:.4f}")


if __name__ == "__main__":
    main()
