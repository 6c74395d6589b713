"""The library's own recorder contract tests, run against tabien's recorders on both backends.

``ApplicationRecorderTestCase`` and ``NonInterleavingNotificationIDsBaseCase`` come from
``eventsourcing/tests/persistence.py``; only ``create_recorder`` is ours.
"""

from __future__ import annotations

import os
import tempfile
import unittest
from typing import Any

import pytest
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from ledger.persistence.postgres import LedgerPostgresRecorder
from ledger.persistence.sqlite import LedgerSQLiteRecorder
from tests.pg import fresh_schema, url_parts


class _SQLiteRecorderMixin:
    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.db_path = os.path.join(self._dir.name, "contract.db")

    def tearDown(self) -> None:
        self._dir.cleanup()

    def create_recorder(self) -> ApplicationRecorder:
        recorder = LedgerSQLiteRecorder(SQLiteDatastore(self.db_path))
        recorder.create_table()
        return recorder


class _PostgresRecorderMixin:
    def setUp(self) -> None:
        self._schema = fresh_schema()
        self.schema = self._schema.__enter__()
        self._datastores: list[PostgresDatastore] = []

    def tearDown(self) -> None:
        for datastore in self._datastores:
            datastore.close()
        self._schema.__exit__(None, None, None)

    def create_recorder(self) -> ApplicationRecorder:
        parts = url_parts()
        datastore = PostgresDatastore(
            dbname=parts["POSTGRES_DBNAME"], host=parts["POSTGRES_HOST"],
            port=parts["POSTGRES_PORT"], user=parts["POSTGRES_USER"],
            password=parts["POSTGRES_PASSWORD"], schema=self.schema, pool_size=4,
            max_overflow=12,
        )
        self._datastores.append(datastore)
        recorder = LedgerPostgresRecorder(datastore, events_table_name="ledger_events")
        recorder.create_table()
        return recorder


def _skip_timing(cls: Any) -> Any:
    # The contract's throughput tests only print timings; they assert nothing about the
    # recorder and take long on two cores. Timing lives in bench/.
    for name in ("test_performance", "test_concurrent_throughput"):
        setattr(cls, name, unittest.skip("timing belongs in bench/")(lambda self: None))
    return cls


@_skip_timing
class TestSQLiteApplicationRecorder(_SQLiteRecorderMixin,
                                    ApplicationRecorderTestCase[ApplicationRecorder]):
    pass


class TestSQLiteNonInterleaving(_SQLiteRecorderMixin, NonInterleavingNotificationIDsBaseCase):
    pass


@pytest.mark.postgres
@_skip_timing
class TestPostgresApplicationRecorder(_PostgresRecorderMixin,
                                      ApplicationRecorderTestCase[ApplicationRecorder]):
    pass


@pytest.mark.postgres
class TestPostgresNonInterleaving(_PostgresRecorderMixin,
                                  NonInterleavingNotificationIDsBaseCase):
    pass
