"""Area and node reports from the record view, held to a count made from a replay."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from commands.seed import seed_area
from projections.kks16 import build_record
from projections.record_projection import open_view, rebuild
from projections.reports import node_of, node_report
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET


def test_area_and_node_reports_match_a_replay(ledger_env: LedgerEnv) -> None:
    ledger = ledger_env.ledger
    seed_area(ledger, ledger_env.keys, SECRET, people=25, years=6, seed=3)
    view = open_view(ledger_env.url)
    rebuild(ledger, view)
    # Counted independently, from the ledger's own events:
    in_service, incomplete = 0, 0
    for person in view.people_of_area(AREA):
        record = build_record(list(ledger.events.get(person.record_id)))
        if record.appointed_on is not None and record.left is None and record.area == AREA:
            in_service += 1
            incomplete += bool(record.sections_empty())
    report = node_report(view, ledger.mapper, "node-3")
    assert report.leader == "สพม.16"
    assert len(report.areas) == 9
    ours = next(a for a in report.areas if a.area == AREA)
    assert ours.in_service == in_service > 0
    assert sum(ours.by_rank.values()) == in_service
    assert len(ours.incomplete) == incomplete
    assert report.in_service == in_service
    assert node_of("สพป.นครศรีธรรมราช เขต 4") is not None
    result = CliRunner().invoke(app, ["report", "area"], env=ledger_env.cli_env)
    assert result.exit_code == 0, result.output
    assert f"{in_service:,} in service" in result.output
    unknown = CliRunner().invoke(app, ["report", "node", "node-99"], env=ledger_env.cli_env)
    assert unknown.exit_code == 2
    assert "no node" in unknown.output
