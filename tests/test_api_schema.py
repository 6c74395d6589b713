"""Schemathesis against the live OpenAPI document, on PostgreSQL.

A real uvicorn server in a thread on a free loopback port serves the app over a seeded ledger
(four careers, a checkpoint, one drafted order, an evidence file, a spare signing key, users
of every role); the schema is loaded from the server's own ``/api/v1/openapi.json``. Every
operation in it gets a bounded, derandomised set of generated requests — Schemathesis's
examples, coverage (boundary and invalid values, unexpected methods) and fuzzing phases, valid
and invalid data. Each request goes out under the bearer token of one role after another
(admin, auditor, registrar, authority) until one is let through, so that every route is
reached past 401 and 403. Path and query parameters draw now and then from the ids that exist
(a real national ID, the drafted order, an event position, the file's hash, the spare key),
so that successful answers are generated too, not only 404s.

Each answer must not be a server error, must match the schema the document gives for it, and
must have a status code and a content type the document lists for the operation.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.web.app import create_app, open_services
from api.web.services import Services
from commands.bootstrap import initialise
from ledger.application import Ledger
from ledger.checkpoints import create_checkpoint
from ledger.keys import KeyStore
from projections.record_projection import rebuild, record_runner
from tests.factories import AREA, national_id, small_ledger
from tests.live import serve
from tests.pg import database_url, fresh_schema
from tests.test_orders import opening_lines
from tests.web import PASSWORD, USERS

pytestmark = pytest.mark.postgres

# Few examples per operation, derived from a fixed seed: CI sends the same requests every run,
# and the module stays well inside its time (about a minute on two cores).
MAX_EXAMPLES = 10
SEED = 20240501
# The roles with routes of their own, and their users in tests.web.USERS.
ROLES = {"admin": "adm", "auditor": "aud", "registrar": "reg", "authority": "auth"}
ORDER_NUMBER = "10/2567"
SCAN = b"%PDF-1.4\n% a scanned order\n" * 40
SPARE_KEY = "registrar-spare"
_TURN = itertools.count()

CHECKS = [
    not_a_server_error,  # no 5xx
    response_schema_conformance,  # the body matches the schema documented for its status
    status_code_conformance,  # the status is one the operation documents
    content_type_conformance,  # so is the content type
]


@dataclass
class Live:
    base_url: str
    services: Services

    def bearer(self, username: str) -> dict[str, str]:
        # A fresh token for every request: the generated requests may sign the user out
        # (POST /logout) or revoke their tokens, and the next one must still get past 401.
        token, _claims = self.services.tokens.issue(username)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A seeded PostgreSQL ledger and a user of every role, served over HTTP on loopback."""
    keys_dir = tmp_path_factory.mktemp("api-schema") / "keys"
    with pytest.MonkeyPatch.context() as patch, fresh_schema() as pg_schema:
        patch.setenv("TABIEN_KEY_PASSPHRASE", "test-passphrase")
        patch.setenv("TABIEN_EVIDENCE_DIR", str(keys_dir.parent / "evidence"))
        url = database_url(pg_schema)
        ledger = Ledger(url=url)
        try:
            store = KeyStore(keys_dir, passphrase=b"test-passphrase")
            keys = initialise(ledger, store, development=False)
            # Record ids under the key folder's secret, as the order desk computes them.
            small_ledger(ledger, keys.authority, secret=store.identity_secret())
            create_checkpoint(ledger.store, keys.checkpoint)
        finally:
            ledger.close()
        services = open_services(url, Path(keys_dir))
        try:
            ref = {"authority": AREA, "order_number": ORDER_NUMBER, "order_date": "2024-05-01"}
            services.desk.draft(services.keys_for(AREA).registrar, authority=AREA, area=AREA,
                                order_number=ORDER_NUMBER, order_date=date(2024, 5, 1),
                                title="บรรจุและแต่งตั้ง", lines=opening_lines(11, ref=ref))
            rebuild(services.ledger, services.view)
            for username, user in USERS.items():
                services.accounts.add_user(username, PASSWORD, role=user["role"],
                                           areas=user["areas"],
                                           national_id=user.get("national_id", ""))
            # As in `tabien serve`, the record view follows the ledger while requests write
            # to it, so a document or a feed asked for later finds it caught up.
            with record_runner(url), serve(create_app(services)) as (host, port):
                live = Live(f"http://{host}:{port}", services)
                _seed_over_http(live)
                rebuild(services.ledger, services.view)
                yield live
        finally:
            services.close()


def _seed_over_http(live: Live) -> None:
    """An evidence file attached to a record, and a spare signing key, for the generated
    requests to find."""
    attached = requests.post(
        f"{live.base_url}/api/v1/records/{national_id(1)}/evidence", headers=live.bearer("reg"),
        data={"to": "0", "description": "สำเนาคำสั่งบรรจุ", "order_number": "1/2553",
              "order_date": "2010-05-16"},
        files={"file": ("scan.pdf", SCAN, "application/pdf")}, timeout=30)
    assert attached.status_code == 201, attached.text
    added = requests.post(f"{live.base_url}/api/v1/keys", headers=live.bearer("adm"),
                          json={"name": SPARE_KEY, "role": "registrar", "area": AREA},
                          timeout=30)
    assert added.status_code == 201, added.text


def _config() -> schemathesis.Config:
    def bound(dictionary: str) -> dict[str, object]:
        return {"dictionary": dictionary, "probability": 0.5}

    return schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        # Sequences of calls are beyond this module (and beyond its time).
        "phases": {"stateful": {"enabled": False}},
        "dictionaries": {
            "national-ids": {"values": [national_id(n) for n in (1, 2, 3, 4, 11)]},
            "areas": {"values": [AREA]},
            "order-numbers": {"values": [ORDER_NUMBER]},
            "positions": {"values": [1, 2, 3]},
            "usernames": {"values": sorted(USERS)},
            "files": {"values": [hashlib.sha256(SCAN).hexdigest()]},
            "keys": {"values": [SPARE_KEY]},
        },
        "parameters": {
            "path.national_id": bound("national-ids"),
            "path.authority": bound("areas"),
            "path.number": bound("order-numbers"),
            "query.position": bound("positions"),
            "path.username": bound("usernames"),
            "path.sha256": bound("files"),
            "path.name": bound("keys"),
        },
    })


@pytest.fixture(scope="module")
def live_schema(live: Live) -> schemathesis.BaseSchema:
    """The OpenAPI document as the running server serves it."""
    loaded = schemathesis.openapi.from_url(f"{live.base_url}/api/v1/openapi.json",
                                           config=_config(), timeout=30)
    loaded.config.update(base_url=live.base_url)
    return loaded


schema = schemathesis.pytest.from_fixture("live_schema")


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    # No shrinking: the server keeps state (users added, orders drafted or issued), so a
    # replayed, shrunk request is not the same experiment; the first failing one is reported.
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
def test_every_operation_answers_as_documented(case: schemathesis.Case[Any], live: Live) -> None:
    # Each request goes out under one role's token after another until a role is let through
    # (anything but 403): every role's refusals are checked too, and the route itself is
    # reached by whichever role may use it. The first role turns with every request, so that
    # each role that may use a route gets its share of requests that reach it.
    roles = list(ROLES.items())
    first = next(_TURN) % len(roles)
    for role, username in roles[first:] + roles[:first]:
        try:
            response = case.call_and_validate(headers=live.bearer(username), checks=CHECKS,
                                              timeout=30)
        except schemathesis.errors.FailureGroup as failure:
            failure.add_note(f"sent with the bearer token of {username!r} ({role})")
            raise
        # A method the operation does not have is refused before anyone is asked who they
        # are: one token is enough for it.
        if response.status_code != 403 or case.method.upper() != case.operation.method.upper():
            break
