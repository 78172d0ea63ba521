"""Property-based run over /api/v1/_openapi (schemathesis, in-process through WSGI).

Every operation of the document is called as an Admin (JWT) with cases generated from its
schema, valid and invalid; any 5xx fails. Derandomized, so a failure reproduces; no deadline.
It runs on both backends: SQLite takes no longer (~75 s against ~80 s for PostgreSQL) and
fails where PostgreSQL does not (it cannot bind an integer past 64 bits).
Outbound calls can reach only 127.0.0.1 (webhook targets are limited to it in tests, and no
hub worker runs, so nothing is delivered during the run).
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask_jwt_extended import create_access_token
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.factories import Factory, quick_user

# 15 cases an operation (about 3,400 in all) keep the run under 2 minutes on 2 cores (~30 ms
# a request, mostly FAB's permission checks); RELAYDESK_FUZZ_EXAMPLES=100 runs deeper.
MAX_EXAMPLES = int(os.environ.get("RELAYDESK_FUZZ_EXAMPLES", "15"))

pytestmark = pytest.mark.timeout(900)


def _admin_headers(app: Flask, make: Factory) -> dict[str, str]:
    admin = quick_user(make, "Admin")
    with app.test_request_context():
        token = create_access_token(identity=str(admin.id), fresh=True)
    return {"Authorization": f"Bearer {token}"}


def _operations(app: Flask, headers: dict[str, str]) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    # A refresh token is not an access token: every case would be the same 401.
    return [op for op in operations if op.path not in SKIPPED]


SKIPPED = {"/api/v1/security/refresh"}


def _fuzz(operation: Any, headers: dict[str, str], calls: list[int]) -> None:
    """Up to MAX_EXAMPLES valid and invalid cases; the first 5xx (shrunk) is raised."""
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    def call(case: Any) -> None:
        response = case.call(headers=headers)
        calls.append(response.status_code)
        assert response.status_code < 500, (
            f"{response.status_code}: {response.text[:300]}\n{case.as_curl_command()}")

    call()


def test_no_operation_answers_5xx(app: Flask, make: Factory) -> None:
    headers = _admin_headers(app, make)
    failures: list[str] = []
    calls: list[int] = []  # the status of every case
    started = time.monotonic()
    operations = _operations(app, headers)
    for operation in operations:
        try:
            _fuzz(operation, headers, calls)
        except Exception as exc:  # noqa: BLE001 — collect every operation's 5xx, then fail
            failures.append(f"{operation.label}: {str(exc)[:800]}")
    print(f"fuzzed {len(operations)} operations with {len(calls)} cases "
          f"in {time.monotonic() - started:.0f} s")
    assert not failures, f"{len(failures)} operations answered 5xx:\n" + "\n\n".join(failures)
