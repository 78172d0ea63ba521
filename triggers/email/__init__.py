"""The e-mail channel's intake: mail in becomes tickets and replies, without loops.

One concept per module: ``intake`` (store raw first, then place — the orchestration),
``parse`` (MIME → ParsedMail) with ``decode`` (charsets, encoded words, addresses),
``threads`` (which item a mail answers), ``quotes`` (trimming the quoted conversation),
``loops`` (machine-written mail), ``people`` (customers, organizations, followers),
``settings``, ``errors`` and ``smtpd`` (the aiosmtpd server). Outgoing mail is the hub's
``notify_followers`` action (hub/actions/mail.py).
"""
