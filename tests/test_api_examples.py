"""Every example in the OpenAPI document fits its own schema and is true to the domain.

Reported (issue 15): the document's own example national ID, 1101700203451, fails its mod-11
check digit; the salary-round preview's schema said the calculation base defaults to the
mid-point of the range, where the code refuses a missing base (the figures are NOT FOUND);
and the preview wrote one person as 1800214415342 in its lines and 1-8002-14415-34-2 in its
violations. So the whole generated document (``app.openapi()``) is walked — parameters,
request and answer bodies, every property of every component schema — and each example is
validated against the schema it stands beside (JSON Schema 2020-12, the dialect of OpenAPI
3.1), then checked against the domain: national IDs pass the check digit and are the 13
digits the API answers with, dates are dates of the Christian Era, order numbers carry a
Buddhist-Era year, areas are areas of the node, ranks, rules and roles are the ones the code
knows, and an example order's lines are entries its own order could hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import jsonschema_rs
import pytest

from api.web.accounts import ROLES, ROLES_TH
from api.web.app import create_app
from api.web.examples import EXAMPLE_AREA, EXAMPLE_NATIONAL_ID, EXAMPLE_ORDER, EXAMPLE_ROUND
from api.web.services import Services
from commands.bootstrap import initialise
from commands.rules import RULES
from commands.salary_round import records_of_area
from commands.seed import seed_area
from ledger.application import Ledger
from ledger.entries import parse_entry
from ledger.errors import TabienError
from ledger.identity import normalise_national_id
from ledger.keys import KEY_ROLES, KeyStore
from ledger.rules.career import career_rules, ruleset_version
from ledger.thaidate import parse_date
from ledger.vocabulary import OrderRef

# A national ID as people write it: 13 digits, or grouped 1-4-5-2-1 (REFERENCE §7).
NATIONAL_ID_IN_TEXT = re.compile(r"(?<![0-9])([0-9]-?[0-9]{4}-?[0-9]{5}-?[0-9]{2}-?[0-9])"
                                 r"(?![0-9])")
ORDER_NUMBER = re.compile(r"^([0-9]{1,6})/([0-9]{4})$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_MONTH = re.compile(r"^[0-9]{4}-[0-9]{2}$")
BE_OFFSET = 543  # B.E. = C.E. + 543 (REFERENCE §7)


@dataclass(frozen=True)
class Example:
    where: str  # where it stands in the document, for the failure message
    name: str  # the field or parameter it exemplifies ("" for a whole body)
    value: Any
    schema: Any  # the schema it must fit


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    # The document is made from the routes alone: no request is served, so no services.
    app = create_app(cast(Services, None), fast_reads=False)
    return app.openapi()


# ------------------------------------------------------------------ the walk


def examples_of(document: dict[str, Any]) -> list[Example]:
    """Every example of the document with the schema it stands beside."""
    found: list[Example] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                found += _parameter_examples(parameter, f"{where} parameter")
            body = operation.get("requestBody", {})
            found += _media_examples(body.get("content", {}), f"{where} request body")
            for status, answer in operation.get("responses", {}).items():
                found += _media_examples(answer.get("content", {}), f"{where} answer {status}")
    components = document.get("components", {})
    for name, schema in components.get("schemas", {}).items():
        found += _schema_examples(schema, f"components/schemas/{name}", "")
    for name, parameter in components.get("parameters", {}).items():
        found += _parameter_examples(parameter, f"components/parameters/{name}")
    return found


def _parameter_examples(parameter: dict[str, Any], where: str) -> Iterator[Example]:
    where = f"{where} {parameter['name']}"
    schema = parameter.get("schema", {})
    yield from _schema_examples(schema, where, parameter["name"])
    yield from _given(parameter, where, parameter["name"], schema)


def _media_examples(content: dict[str, Any], where: str) -> Iterator[Example]:
    for media_type, media in content.items():
        schema = media.get("schema", {})
        yield from _schema_examples(schema, f"{where} {media_type}", "")
        yield from _given(media, f"{where} {media_type}", "", schema)


def _given(holder: dict[str, Any], where: str, name: str, schema: Any) -> Iterator[Example]:
    """A parameter's or a media type's own ``example`` and ``examples`` (Example Objects)."""
    if "example" in holder:
        yield Example(f"{where} example", name, holder["example"], schema)
    for key, example in holder.get("examples", {}).items():
        if "value" in example:
            yield Example(f"{where} examples/{key}", name, example["value"], schema)


def _schema_examples(schema: Any, where: str, name: str) -> Iterator[Example]:
    """The examples of a schema and of every schema inside it (not through a $ref: each
    component is walked on its own)."""
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield Example(f"{where} example", name, schema["example"], schema)
    for n, value in enumerate(schema.get("examples", [])):
        yield Example(f"{where} examples[{n}]", name, value, schema)
    for key, child in schema.get("properties", {}).items():
        yield from _schema_examples(child, f"{where}.{key}", key)
    for keyword in ("items", "additionalProperties", "not"):
        yield from _schema_examples(schema.get(keyword), f"{where}/{keyword}", name)
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for n, child in enumerate(schema.get(keyword, [])):
            yield from _schema_examples(child, f"{where}/{keyword}[{n}]", name)


def count_examples(node: Any, in_properties: bool = False) -> int:
    """How many example values the document holds, counted without understanding it: every
    ``example`` and each item of every ``examples`` (but not a property so named)."""
    if isinstance(node, list):
        return sum(count_examples(item) for item in node)
    if not isinstance(node, dict):
        return 0
    total = 0
    for key, value in node.items():
        if in_properties:
            total += count_examples(value)
        elif key == "example":
            total += 1
        elif key == "examples":
            total += len(value)
        else:
            total += count_examples(value, in_properties=key == "properties")
    return total


# ------------------------------------------------------------------ schema and domain


def schema_errors(document: dict[str, Any], example: Example) -> list[str]:
    # A $ref names #/components/…: the schema is checked inside a root that has them.
    root = {"components": document.get("components", {}), "allOf": [example.schema]}
    validator = jsonschema_rs.Draft202012Validator(root)
    return [error.message for error in validator.iter_errors(example.value)]


@cache
def node_areas() -> frozenset[str]:
    nodes = json.loads(resources.files("projections").joinpath("nodes.json").read_text())
    return frozenset(area for node in nodes["nodes"] for area in node["areas"])


@cache
def ranks_and_salaries() -> tuple[frozenset[str], int, int]:
    """The rank codes, and the lowest and highest salary of any known range."""
    tables = json.loads(resources.files("ledger.rules").joinpath("salary_tables.json")
                        .read_text())
    bounds = [value for table in tables["tables"] for pair in table["ranges"].values()
              for value in (pair["min"], pair["max"]) if value is not None]
    return frozenset(rank["code"] for rank in tables["ranks"]), min(bounds), max(bounds)


def domain_problems(name: str, value: Any) -> list[str]:
    """What is false in an example of the field ``name`` (each object's fields by their
    own names, each list's items by the list's)."""
    if isinstance(value, dict):
        problems = [p for key, item in value.items() for p in domain_problems(key, item)]
        return problems + _object_problems(value)
    if isinstance(value, list):
        return [p for item in value for p in domain_problems(name, item)]
    # A national ID field has a check of its own (below); any other text is searched.
    problems = _text_problems(value) if isinstance(value, str) and name != "national_id" \
        else []
    check = FIELD_CHECKS.get(name)
    if check is not None:
        problems += [f"{name}: {p}" for p in check(value)]
    return problems


def _text_problems(text: str) -> list[str]:
    problems = []
    for candidate in NATIONAL_ID_IN_TEXT.findall(text):
        try:
            normalise_national_id(candidate)
        except TabienError as error:
            problems.append(str(error))
    if ISO_DATE.match(text):
        problems += _date_problems(text)
    elif ISO_MONTH.match(text):
        problems += _date_problems(f"{text}-01")
    return problems


def _date_problems(text: str) -> list[str]:
    try:
        moment = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return [f"{text!r} is not a date"]
    if not 1900 < moment.year < 2400:
        return [f"{text!r}: the API's dates are of the Christian Era"]
    return []


def _national_id(value: Any) -> list[str]:
    try:
        digits = normalise_national_id(str(value))
    except TabienError as error:
        return [str(error)]
    return [] if value == digits else [f"{value!r}: the API writes national IDs as {digits}"]


def _order_number(value: Any) -> list[str]:
    match = ORDER_NUMBER.match(str(value))
    if match is None:
        return [f"{value!r} is not number/B.E. year"]
    if not 2400 < int(match.group(2)) < 2700:
        return [f"{value!r}: the year of an order number is of the Buddhist Era"]
    return []


def _area(value: Any) -> list[str]:
    return [] if value in node_areas() else [f"{value!r} is no area of projections/nodes.json"]


def _rank(value: Any) -> list[str]:
    return [] if value in ranks_and_salaries()[0] else [f"{value!r} is no rank of the rules"]


def _rule(value: Any) -> list[str]:
    known = {rule.id for rule in RULES} | {"*"}
    return [] if value in known else [f"{value!r} is no rule of commands.rules"]


def _role(value: Any) -> list[str]:
    return [] if value in {*ROLES, *KEY_ROLES} else [f"{value!r} is no role"]


def _role_th(value: Any) -> list[str]:
    return [] if value in ROLES_TH.values() else [f"{value!r} is no role's Thai name"]


def _ruleset(value: Any) -> list[str]:
    return [] if value == ruleset_version() else [f"{value!r}: the rules are {ruleset_version()}"]


def _salary(value: Any) -> list[str]:
    _, lowest, highest = ranks_and_salaries()
    return [] if lowest <= int(value) <= highest else [f"{value} baht is outside every range"]


def _round_date(value: Any) -> list[str]:
    days = career_rules()["salary_rounds"]["round_days"]
    try:  # in any form the API reads (api.web.dates): 2026-10-01 or 1/10/2569
        day = parse_date(str(value))
    except TabienError as error:
        return [str(error)]
    return [] if day.isoformat()[5:10] in days else [f"{value!r} is not 1 April or 1 October"]


def _percent(value: Any) -> list[str]:
    return [] if 0 <= Decimal(str(value)) <= 10 else [f"{value} is not a percentage of a raise"]


FIELD_CHECKS = {
    "national_id": _national_id, "order_number": _order_number, "number": _order_number,
    "area": _area, "authority": _area, "areas": _area, "rank": _rank, "rule": _rule,
    "role": _role, "role_th": _role_th, "ruleset_version": _ruleset, "salary": _salary,
    "new_salary": _salary, "round_date": _round_date, "percent": _percent,
}


def _object_problems(value: dict[str, Any]) -> list[str]:
    """What must hold between the fields of one object: an order's number carries the year
    of its date, and an order's lines are entries that cite that order."""
    return _order_year_problems(value) + _order_line_problems(value)


def _order_year_problems(value: dict[str, Any]) -> list[str]:
    number, on = value.get("order_number"), value.get("order_date")
    if not (isinstance(number, str) and isinstance(on, str) and ORDER_NUMBER.match(number)
            and not _date_problems(on)):
        return []
    if int(number.split("/")[1]) != date.fromisoformat(on).year + BE_OFFSET:
        return [f"order {number} is dated {on}: another year"]
    return []


def _order_line_problems(value: dict[str, Any]) -> list[str]:
    if not isinstance(value.get("lines"), list) or not {"authority", "order_number",
                                                         "order_date"} <= set(value):
        return []
    own = OrderRef(value["authority"], value["order_number"],
                   date.fromisoformat(value["order_date"]))
    problems = []
    for n, line in enumerate(value["lines"], start=1):
        try:
            entry = parse_entry(line)
        except TabienError as error:
            problems.append(f"line {n}: {error}")
            continue
        if entry.fields.get("order") != own:
            problems.append(f"line {n} cites another order than its own")
    return problems


# ------------------------------------------------------------------ the tests


def test_the_walk_finds_every_example_in_the_document(document: dict[str, Any]) -> None:
    found = examples_of(document)
    # Counted without understanding the document: an example somewhere the walk does not
    # look (a header, a link …) would go unchecked, and fails here instead.
    assert len(found) == count_examples(document)
    # The walk reaches parameters, request bodies and properties of components.
    wheres = " | ".join(example.where for example in found)
    assert "parameter national_id" in wheres
    assert "components/schemas/OrderDraft examples[0]" in wheres
    assert "components/schemas/AppraisalIn.national_id" in wheres


def test_every_example_in_the_openapi_document_fits_its_own_schema(
        document: dict[str, Any]) -> None:
    failures = [f"{example.where}: {example.value!r}: {'; '.join(errors)}"
                for example in examples_of(document)
                if (errors := schema_errors(document, example))]
    assert not failures, "\n".join(failures)


def test_every_example_in_the_openapi_document_is_true_to_the_domain(
        document: dict[str, Any]) -> None:
    failures = [f"{example.where}: {problem}" for example in examples_of(document)
                for problem in domain_problems(example.name, example.value)]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("name", "value"), [
    ("national_id", "1101700203451"),  # the example reported: its check digit is 0
    ("national_id", "1-8002-14415-34-2"),  # valid, but not the form the API answers with
    ("detail", "record 1101700203451 not found"),
    ("order_date", "2569-04-01"),  # a B.E. year in an ISO date
    ("round_date", "2026-02-30"),
    ("order_number", "120/2026"),  # a C.E. year
    ("area", "สพม.99"),
    ("rank", "k9"),
    ("rule", "salary.in-range"),  # the rule is salary.within-range
    ("ruleset_version", "career-rules 2569.1"),
    ("round_date", "2026-05-01"),
])
def test_the_domain_checks_catch_a_false_example(name: str, value: str) -> None:
    assert domain_problems(name, value)


def test_the_domain_checks_catch_an_order_whose_lines_cite_another_order() -> None:
    assert not domain_problems("", EXAMPLE_ORDER)
    line = EXAMPLE_ORDER["lines"][0]
    elsewhere = {**line, "order": {**line["order"], "order_number": "7/2569"}}
    assert domain_problems("", {**EXAMPLE_ORDER, "lines": [elsewhere]})
    assert domain_problems("", {**EXAMPLE_ORDER, "lines": [{**line, "kind": "promoted"}]})
    assert domain_problems("", {**EXAMPLE_ORDER, "order_date": "2025-11-02", "lines": []})


def test_the_preview_schema_says_a_calculation_base_has_no_default(
        document: dict[str, Any]) -> None:
    """Reported: the schema said the base defaults to the range's mid-point; the preview
    lists a person without one as a violation, since the figures are NOT FOUND."""
    text = document["components"]["schemas"]["AppraisalIn"]["properties"][
        "calculation_base"]["description"]
    assert "mid-point" not in text
    assert "no default" in text
    assert "NOT FOUND" in text


def test_the_examples_teacher_is_in_service_in_the_demo(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples' national ID is a teacher of the area the demo seeds as ``tabien demo``
    does (seed 2567, 200 people, 12 years), so "Try it out" on the demo finds her record."""
    monkeypatch.setenv("TABIEN_KEY_PASSPHRASE", "test-passphrase")
    ledger = Ledger(url=f"sqlite:///{tmp_path}/demo.db")
    try:
        store = KeyStore(tmp_path / "keys", passphrase=b"test-passphrase")
        keys = initialise(ledger, store, development=False, area=EXAMPLE_AREA)
        seed_area(ledger, keys, store.identity_secret(), people=200, years=12, seed=2567,
                  area=EXAMPLE_AREA)
        people = {facts.national_id: facts for _, facts in records_of_area(ledger, EXAMPLE_AREA)}
    finally:
        ledger.close()
    assert EXAMPLE_NATIONAL_ID in people
    assert people[EXAMPLE_NATIONAL_ID].in_service


def test_the_api_reference_shows_the_documents_own_examples() -> None:
    """docs/api.md sends the bodies the OpenAPI document shows, so the two cannot drift."""
    reference = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    bodies = [json.loads(body) for body in re.findall(r"<<'JSON'\n(.*?)\nJSON\n", reference,
                                                      re.DOTALL)]
    assert bodies == [EXAMPLE_ORDER, EXAMPLE_ROUND]
