"""The HTTP API's test fixture, shared by the API's test modules (registered in conftest):
a ledger on each backend with a few records, the services and app over it, and a signed-in
user of every role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.web.app import create_app, open_services
from api.web.services import Services
from commands.bootstrap import add_area
from projections.record_projection import rebuild
from tests.conftest import LedgerEnv
from tests.factories import AREA, national_id, small_ledger

OTHER_AREA = "สพป.นครศรีธรรมราช เขต 1"
PASSWORD = "correct horse battery staple"
USERS: dict[str, dict[str, Any]] = {
    "reg": {"role": "registrar", "areas": [AREA]},
    "reg-other": {"role": "registrar", "areas": [OTHER_AREA]},
    "auth": {"role": "authority", "areas": [AREA]},
    "auth-other": {"role": "authority", "areas": [OTHER_AREA]},
    "aud": {"role": "auditor", "areas": []},
    "pay": {"role": "payroll", "areas": [AREA]},
    "adm": {"role": "admin", "areas": []},
    "teach": {"role": "teacher", "areas": [], "national_id": national_id(1)},
}


@dataclass
class Api:
    client: TestClient
    services: Services
    tokens: dict[str, str]

    def as_(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def events(self) -> int:
        return self.services.ledger.store.count_events()

    def denials(self) -> int:
        return len(self.services.accounts.denials())


@pytest.fixture
def api(ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("TABIEN_KEY_PASSPHRASE", "test-passphrase")
    # Record ids under the key folder's secret, as the order desk computes them.
    small_ledger(ledger_env.ledger, ledger_env.keys.authority,
                 secret=ledger_env.store.identity_secret())
    # The other users' area is known to the ledger: its keys are registered.
    add_area(ledger_env.ledger, ledger_env.store, ledger_env.keys.admin, OTHER_AREA)
    services = open_services(ledger_env.url, ledger_env.keys_dir,
                             ledger_env.keys_dir.parent / "evidence")
    rebuild(services.ledger, services.view)
    for username, user in USERS.items():
        services.accounts.add_user(username, PASSWORD, role=user["role"], areas=user["areas"],
                                   national_id=user.get("national_id", ""))
    client = TestClient(create_app(services))
    tokens = {name: sign_in(client, name).json()["access_token"] for name in USERS}
    yield Api(client, services, tokens)
    client.close()
    services.close()


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/token", data={"username": username, "password": password})


def is_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    assert body["detail_th"]
    if code is not None:
        assert body["code"] == code
    return body
