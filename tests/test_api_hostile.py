"""Hostile input in every field of every operation of the live OpenAPI document, on both
backends: no 5xx, nothing written, a clear problem detail each time.

The fields come from the document the app serves (``/api/v1/openapi.json``), not from a list:
every path, query and header parameter, the bearer token of a secured operation, and every
field of every JSON, form or multipart body, recursively into objects and arrays (the first
item of each), the body as a whole, and each uploaded file's content and name. An operation
the baselines below do not know is still sent every value, on a baseline built from its
schema; one that no user of the fixture may call fails the test.

Each request is a baseline with one hostile value in one field: quotes and SQL fragments,
path traversal, overlong strings, mixed Thai and Latin, control characters, markup, invalid
UTF-8 (raw bytes in a body or a header, ``%FF%FE`` in a path, a query or a form), a lone
surrogate, wrong date formats and huge numbers. It goes as raw bytes over a socket to a real
uvicorn server, under the token of the first user the baseline is not refused for. Then:

* no 5xx;
* an error (>= 400) is ``application/problem+json`` with a non-empty ``detail``,
  ``detail_th`` (in Thai) and ``code`` — except a request the HTTP server itself refuses
  before the app sees it (uvicorn's plain 400 for a header holding NUL; CR and LF are not sent
  in a header at all, since they would make it another header);
* nothing was written: no ledger event, no event in the accounts store, no file in the key or
  evidence folder — but exactly one logged denial with each 401 and 403;
* unless the field may take the value. A free-text field (a title, a reason, a description,
  a display name, a purpose, an idempotency key, a name or place inside an order line) may
  take quotes, SQL words, Thai and Latin, markup, dates or digits as text — not control
  characters, overlong text or broken encodings; any other field only a value its own schema
  in the document calls valid. A value taken is kept verbatim: exactly, where it is kept under
  the field's own name, and nowhere cut, trimmed, normalised or re-decoded. A password is kept
  only as a hash that signs in; a file's content under its own SHA-256; a file's name with no
  path, control character or U+FFFD in it. (A header's bytes are Latin-1 text to the app.)

Every failure is collected, and the test fails once at the end with all of them, each with
the request that reproduces it.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import orjson
import pytest
from argon2 import PasswordHasher
from eventsourcing.utils import get_topic

from api.web.accounts import Denial
from api.web.app import create_app
from api.web.denial_limit import DenialLimit
from api.web.services import Services
from ledger.checkpoints import create_checkpoint
from projections.record_projection import rebuild, record_runner
from tests.factories import AREA, national_id
from tests.live import serve
from tests.test_orders import opening_lines
from tests.web import PASSWORD, Api

DATA = Path(__file__).parent / "data" / "legacy"
SCAN = b"%PDF-1.4\n% a scanned order\n" * 40
NID = national_id(1)
ORDER_NUMBER = "10/2567"
# Who may be asked to send a request: the first one whose baseline is not refused (401, 403).
ACTORS = ("adm", "aud", "reg", "auth", "pay", "teach")
DENIAL = get_topic(Denial.Recorded)  # type: ignore[attr-defined]

Json = Any


# ------------------------------------------------------------------ the hostile values


@dataclass(frozen=True)
class Hostile:
    """One hostile value, as each part of a request carries it."""

    name: str
    text: str | None  # the value as text; None: bytes that are no text at all
    wire: bytes  # its bytes in a header, a multipart part or an uploaded file
    json: bytes  # its JSON token in a JSON body
    url: str  # percent-encoded, for a path segment, a query or a urlencoded form
    # Text a free-text field may hold (quotes, SQL words, Thai and Latin …), as opposed to
    # what no field should keep: control characters, overlong text, broken encodings.
    benign: bool = True


def _text(name: str, value: str, *, benign: bool = True) -> Hostile:
    wire = value.encode("utf-8", "surrogatepass")
    try:
        token = json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: escaped, as JSON allows
        token = json.dumps(value).encode()
    return Hostile(name, value, wire, token, quote(wire, safe=""), benign)


def _number(name: str, token: str) -> Hostile:
    return Hostile(name, token, token.encode(), token.encode(), quote(token, safe=""))


HOSTILE = [
    _text("SQL", "'; DROP TABLE ledger_events; --"),
    _text("SQL or", "' OR '1'='1' --"),
    _text("path traversal", "../../../../etc/passwd"),
    _text("encoded traversal", "..%2F..%2F..%2Fetc%2Fpasswd"),
    _text("Windows traversal", "..\\..\\..\\windows\\win.ini"),
    _text("overlong", "x" * 10_000, benign=False),
    _text("overlong Thai", "ก" * 3_000, benign=False),
    _text("Thai and Latin, quoted", "ครูสมชาย Somchai O'Brien \"ป.6\" ๑๒"),
    _text("NUL", "ครู\x00Teacher", benign=False),
    _text("CR LF", "line\r\nX-Injected: yes", benign=False),
    _text("markup", "<script>alert(1)</script>"),
    _text("format string", "%s%n{0}${jndi:ldap://127.0.0.1/x}"),
    _text("bidi and zero-width", "\u202egpj.exe\u200b\ufeff"),
    _text("lone surrogate", "\ud800", benign=False),
    Hostile("invalid UTF-8", None, b"\xff\xfe", b'"\xff\xfe"', "%FF%FE", benign=False),
    _text("Buddhist-Era ISO date", "2567-13-45"),
    _text("31 February, day/month/year", "31/02/2567"),
    _text("30 February", "2024-02-30"),
    _text("bad time", "2024-05-01T25:61:00"),
    _text("Thai digits", "๑๒๓๔๕๖๗๘๙๐๑๒๓"),
    _text("full-width digits", "１２３４５６７８９０１２３"),
    _number("1e309", "1e309"),
    _number("huge negative", "-99999999999999999999"),
    _number("huge integer", "123456789012345678901234567890"),
    _number("NaN", "NaN"),
]


# ------------------------------------------------------------------ the document


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]
    document: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def resolve(self, schema: Any) -> Any:
        """A schema with its ``$ref`` followed (repeatedly)."""
        while isinstance(schema, dict) and "$ref" in schema:
            target: Any = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            schema = target
        return schema

    @property
    def parameters(self) -> list[dict[str, Any]]:
        item = self.document["paths"][self.path]
        return [self.resolve(p) for p in [*item.get("parameters", []),
                                           *self.spec.get("parameters", [])]]

    @property
    def secured(self) -> bool:
        return bool(self.spec.get("security", self.document.get("security")))

    @property
    def body(self) -> tuple[str, dict[str, Any]] | None:
        """The request body's media type and schema (JSON preferred), if it has one."""
        content = self.resolve(self.spec.get("requestBody", {})).get("content", {})
        for media_type in ("application/json", "application/x-www-form-urlencoded",
                           "multipart/form-data", *content):
            if media_type in content:
                return media_type, self.resolve(content[media_type].get("schema", {}))
        return None


def operations(document: dict[str, Any]) -> list[Operation]:
    return [Operation(method.upper(), path, spec, document)
            for path, item in document["paths"].items()
            for method, spec in item.items()
            if method in ("get", "put", "post", "patch", "delete", "query")]


# ------------------------------------------------------------------ requests


@dataclass
class Request:
    """A request before it is encoded: decoded values, the body as JSON or form fields."""

    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Json = None
    files: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Field:
    """Where a hostile value goes: a parameter, the token, or a place in the body."""

    location: str  # path, raw path, query, header, token, body, json, form, file, file name
    name: tuple[str | int, ...]
    kind: str  # free (text), password, content (of a file), file name, strict
    schema: dict[str, Any] | None = field(default=None, compare=False)  # its text schema

    @property
    def label(self) -> str:
        return f"{self.location} {'.'.join(str(n) for n in self.name) or '(whole)'}"

    def takes(self, location: str, name: str | int) -> bool:
        return self.location == location and self.name == (name,)


@dataclass(frozen=True)
class Fuzz:
    """One hostile value in one field."""

    where: Field
    hostile: Hostile


_MISSING = object()
PLACEHOLDER = "\u2063hostile\u2063"  # never in a baseline
BOUNDARY = "tabien-hostile-boundary"
FILE_NAME = "\x00file name\x00"  # marks the upload whose name is the hostile value
# Fields inside an order line's free object (the document says nothing of them) that hold
# identifiers, codes or dates; every other text there is a name or a place: free text.
_STRUCTURED_KEYS = {"national_id", "kind", "area", "authority", "order_number", "rank",
                    "staff_type", "gender"}
_NEGATED_CLASS = re.compile(r"\^\[\^[^\]]*\]\*\$")


def _branches(schema: dict[str, Any]) -> list[Any]:
    return list(schema.get("anyOf") or schema.get("oneOf") or [])


def _string_schema(operation: Operation, schema: Any) -> dict[str, Any] | None:
    schema = operation.resolve(schema)
    if not isinstance(schema, dict):
        return None
    for branch in _branches(schema):
        found = _string_schema(operation, branch)
        if found is not None:
            return found
    return schema if schema.get("type") == "string" else None


def _field(operation: Operation, location: str, name: tuple[str | int, ...], schema: Any,
           baseline: Any = _MISSING) -> Field:
    """The field, with its kind: free text (any text may be kept verbatim) or strict."""
    key = name[-1] if name else ""
    if schema is None and baseline is not _MISSING:
        # Inside a free object the document says nothing of: judged by name and value.
        free = (isinstance(baseline, str) and key not in _STRUCTURED_KEYS
                and not re.fullmatch(r"[\d\s/.:+-]+", baseline))
        return Field(location, name, "free" if free else "strict")
    text = _string_schema(operation, schema)
    if text is None:
        return Field(location, name, "strict")
    if text.get("format") == "password" or "password" in str(key):
        return Field(location, name, "password", text)
    pattern = text.get("pattern")
    free = (not text.get("format") and "enum" not in text and "const" not in text
            and (pattern is None or _NEGATED_CLASS.fullmatch(pattern) is not None))
    return Field(location, name, "free" if free else "strict", text)


def _is_file(operation: Operation, schema: Any) -> bool:
    schema = operation.resolve(schema)
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "array":
        return _is_file(operation, schema.get("items"))
    return schema.get("format") == "binary" or "contentMediaType" in schema


def _child_schema(operation: Operation, schema: Any, key: str | int) -> Any:
    schema = operation.resolve(schema)
    if not isinstance(schema, dict):
        return None
    for branch in _branches(schema):
        found = _child_schema(operation, branch, key)
        if found is not None:
            return found
    if isinstance(key, int):
        return schema.get("items")
    properties = schema.get("properties", {})
    if key in properties:
        return properties[key]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) and extra else None


def _properties(operation: Operation, schema: Any) -> list[str]:
    schema = operation.resolve(schema)
    if not isinstance(schema, dict):
        return []
    names = list(schema.get("properties", {}))
    for branch in _branches(schema):
        names += [n for n in _properties(operation, branch) if n not in names]
    return names


def fields(operation: Operation, baseline: Request) -> Iterator[Field]:
    """Every place of the request a hostile value can go."""
    for parameter in operation.parameters:
        location, name = parameter["in"], parameter["name"]
        if location in ("path", "query", "header"):
            yield _field(operation, location, (name,), parameter.get("schema"))
        if location == "path":
            yield _field(operation, "raw path", (name,), parameter.get("schema"))
    if operation.secured:
        yield Field("token", ("Authorization",), "strict")
    body = operation.body
    if body is None:
        return
    media_type, schema = body
    yield Field("body", (), "strict")
    if media_type == "application/json":
        yield from _json_fields(operation, schema, baseline.body, ())
        return
    for name in _properties(operation, schema):
        child = _child_schema(operation, schema, name)
        if _is_file(operation, child):
            yield Field("file", (name,), "content")
            yield Field("file name", (name,), "file name")
        else:
            yield _field(operation, "form", (name,), child)


def _json_fields(operation: Operation, schema: Any, value: Any,
                 at: tuple[str | int, ...]) -> Iterator[Field]:
    if isinstance(value, dict) or (value is _MISSING and _properties(operation, schema)):
        present = value if isinstance(value, dict) else {}
        for key in [*present, *(k for k in _properties(operation, schema) if k not in present)]:
            child = _child_schema(operation, schema, key)
            child_value = present.get(key, _MISSING)
            yield _field(operation, "json", (*at, key), child, child_value)
            yield from _json_fields(operation, child, child_value, (*at, key))
    elif isinstance(value, list) and value:
        child = _child_schema(operation, schema, 0)
        yield _field(operation, "json", (*at, 0), child, value[0])
        yield from _json_fields(operation, child, value[0], (*at, 0))


def _set(body: Json, at: tuple[str | int, ...], value: Any) -> Json:
    """A copy of ``body`` with ``value`` at ``at`` (an absent key is added)."""
    if not at:
        return value
    head, rest = at[0], at[1:]
    if isinstance(body, list):
        items = list(body)
        items[int(head)] = _set(items[int(head)], rest, value)
        return items
    copy = dict(body or {})
    copy[str(head)] = _set(copy.get(str(head), {}), rest, value)
    return copy


def _target(operation: Operation, request: Request, fuzz: Fuzz | None) -> str:
    """The request line's target: the path with its parameters, then the query."""
    target = operation.path
    for name in re.findall(r"{([^}:]+)(?::[^}]*)?}", operation.path):
        segment = quote(request.path.get(name, "x"), safe="")
        if fuzz is not None and fuzz.where.takes("path", name):
            segment = fuzz.hostile.url
        elif fuzz is not None and fuzz.where.takes("raw path", name):
            # Unencoded as far as a request line allows: slashes and dots reach the router.
            segment = quote(fuzz.hostile.wire, safe="/\\.%:@!$&'()*+,;=~-_")
        found = re.search("{" + re.escape(name) + "(:[^}]*)?}", target)
        if found is not None:
            target = target[:found.start()] + segment + target[found.end():]
    query = {quote(k, safe=""): quote(v, safe="") for k, v in request.query.items()}
    if fuzz is not None and fuzz.where.location == "query":
        query[quote(str(fuzz.where.name[0]), safe="")] = fuzz.hostile.url
    if query:
        target += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return target


def encode(operation: Operation, request: Request, host: str, token: str | None,
           fuzz: Fuzz | None) -> bytes:
    """The request as the bytes sent on the wire, with the hostile value in its field."""
    headers: dict[bytes, bytes] = {b"Host": host.encode(), b"Connection": b"close"}
    headers.update({k.encode(): v.encode() for k, v in request.headers.items()})
    if fuzz is not None and fuzz.where.location == "header":
        headers[str(fuzz.where.name[0]).encode()] = fuzz.hostile.wire
    if fuzz is not None and fuzz.where.location == "token":
        headers[b"Authorization"] = b"Bearer " + fuzz.hostile.wire
    elif token is not None:
        headers[b"Authorization"] = f"Bearer {token}".encode()
    content, media_type = _body(operation, request, fuzz)
    if media_type is not None:
        headers[b"Content-Type"] = media_type.encode()
        headers[b"Content-Length"] = str(len(content)).encode()
    head = f"{operation.method} {_target(operation, request, fuzz)} HTTP/1.1\r\n".encode()
    head += b"".join(k + b": " + v + b"\r\n" for k, v in headers.items())
    return head + b"\r\n" + content


def _body(operation: Operation, request: Request, fuzz: Fuzz | None) -> tuple[bytes, str | None]:
    body = operation.body
    if body is None:
        return b"", None
    media_type = body[0]
    if fuzz is not None and fuzz.where.location == "body":
        return (fuzz.hostile.json if media_type == "application/json" else fuzz.hostile.wire,
                _content_type(media_type))
    if media_type == "application/json":
        value = request.body
        if fuzz is not None and fuzz.where.location == "json":
            value = _set(value, fuzz.where.name, PLACEHOLDER)
        text = json.dumps(value, ensure_ascii=False).encode("utf-8")
        if fuzz is not None:
            text = text.replace(json.dumps(PLACEHOLDER, ensure_ascii=False).encode(),
                                fuzz.hostile.json)
        return text, media_type
    form = {k: v.encode() for k, v in (request.body or {}).items()}
    if media_type == "application/x-www-form-urlencoded":
        pairs = {quote_plus(k): quote_plus(v) for k, v in (request.body or {}).items()}
        if fuzz is not None and fuzz.where.location == "form":
            pairs[quote_plus(str(fuzz.where.name[0]))] = fuzz.hostile.url
        return "&".join(f"{k}={v}" for k, v in pairs.items()).encode(), media_type
    if fuzz is not None and fuzz.where.location == "form":
        form[str(fuzz.where.name[0])] = fuzz.hostile.wire
    return _multipart(form, _uploads(request, fuzz), fuzz), _content_type(media_type)


def _content_type(media_type: str) -> str:
    return f"{media_type}; boundary={BOUNDARY}" if media_type.startswith("multipart/") \
        else media_type


def _uploads(request: Request, fuzz: Fuzz | None) -> list[tuple[str, str, bytes]]:
    """The files as (field, name, content), the first one of the fuzzed field changed."""
    uploads = []
    for name, files in request.files.items():
        for index, (filename, content) in enumerate(files):
            hit = index == 0 and fuzz is not None and fuzz.where.name == (name,)
            if hit and fuzz is not None and fuzz.where.location == "file":
                uploads.append((name, filename, fuzz.hostile.wire))
            elif hit and fuzz is not None and fuzz.where.location == "file name":
                uploads.append((name, FILE_NAME, content))
            else:
                uploads.append((name, filename, content))
    return uploads


def _multipart(form: dict[str, bytes], uploads: list[tuple[str, str, bytes]],
               fuzz: Fuzz | None) -> bytes:
    out = b""
    parts = [(name, None, value) for name, value in form.items()] + list(uploads)
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'.encode()
        if filename == FILE_NAME and fuzz is not None:
            disposition += b'; filename="' + fuzz.hostile.wire + b'"'
        elif filename is not None:
            disposition += f'; filename="{filename}"'.encode()
        out += f"--{BOUNDARY}\r\nContent-Disposition: ".encode() + disposition + b"\r\n"
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def exchange(host: str, port: int, request: bytes) -> Answer:
    with socket.create_connection((host, port), timeout=60) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      response.read())


# ------------------------------------------------------------------ baselines


def _example(operation: Operation, schema: Any, depth: int = 0) -> Any:
    """A value the schema accepts, from its examples, default, format or type."""
    schema = operation.resolve(schema)
    if not isinstance(schema, dict) or depth > 8:
        return "x"
    given = [*schema.get("examples", []), *([schema["example"]] if "example" in schema else []),
             *([schema["default"]] if schema.get("default") is not None else [])]
    if given:
        return given[0]
    branches = [b for b in _branches(schema) if operation.resolve(b).get("type") != "null"]
    if branches:
        return _example(operation, branches[0], depth + 1)
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        return {k: _example(operation, v, depth + 1)
                for k, v in schema.get("properties", {}).items() if k in required}
    if kind == "array":
        return [_example(operation, schema.get("items", {}), depth + 1)]
    scalars = {"integer": max(1, int(schema.get("minimum", 1))),
               "number": max(1, int(schema.get("minimum", 1))), "boolean": False}
    return scalars[kind] if kind in scalars else _string_example(schema)


def _string_example(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return "2024-05-01"
    if fmt == "date-time":
        return "2024-05-01T00:00:00+00:00"
    candidates = [AREA, ORDER_NUMBER, NID, "2024-05", "registrar", "somchai.r", "a" * 64,
                  "0" * 64, "baseline text"]
    pattern = schema.get("pattern")
    for candidate in candidates:
        if pattern is None or re.search(pattern, candidate):
            return candidate
    return "x"


def generic_baseline(operation: Operation) -> Request:
    """A syntactically valid request built from the schema alone."""
    request = Request()
    for parameter in operation.parameters:
        if parameter["in"] == "path" or parameter.get("required"):
            target = {"path": request.path, "query": request.query,
                      "header": request.headers}.get(parameter["in"])
            if target is not None:
                target[parameter["name"]] = str(_example(operation, parameter.get("schema")))
    body = operation.body
    if body is not None:
        media_type, schema = body
        if media_type == "application/json":
            request.body = _example(operation, schema)
        else:
            form: dict[str, str] = {}
            for name in _properties(operation, schema):
                child = _child_schema(operation, schema, name)
                if _is_file(operation, child):
                    request.files[name] = [("file.txt", b"baseline file")]
                elif name in operation.resolve(schema).get("required", []):
                    value = _example(operation, child)
                    form[name] = str(value).lower() if isinstance(value, bool) else str(value)
            request.body = form
    return request


def _round(**more: Any) -> dict[str, Any]:
    """Every person of the area on the round's date (those of the fixture's small ledger)."""
    return {"area": AREA, "round_date": "2024-04-01",
            "appraisals": [{"national_id": national_id(n), "appraisal": "ดีมาก",
                            "percent": "2.0", "calculation_base": 15_000}
                           for n in range(1, 5)], **more}


def _draft(n: int) -> dict[str, Any]:
    number = f"{n}/2568"
    ref = {"authority": AREA, "order_number": number, "order_date": "2025-05-01"}
    return {"authority": AREA, "area": AREA, "order_number": number,
            "order_date": "2025-05-01", "title": "บรรจุและแต่งตั้ง",
            "lines": opening_lines(5000 + n, ref=ref)}


# Valid requests of the operations this module knows, each new (numbered n) where a write
# would otherwise collide with the one before; the rest of each request comes from the schema.
BASELINES: dict[str, Callable[[int], Request]] = {
    "POST /api/v1/token": lambda n: Request(body={"username": "adm",
                                                     "password": PASSWORD}),
    "GET /api/v1/records/{national_id}": lambda n: Request(path={"national_id": NID}),
    "GET /api/v1/records/{national_id}/timeline": lambda n: Request(
        path={"national_id": NID}),
    "POST /api/v1/orders": lambda n: Request(body=_draft(n)),
    "GET /api/v1/orders/{authority}/{number}": lambda n: Request(
        path={"authority": AREA, "number": ORDER_NUMBER}),
    "POST /api/v1/orders/{authority}/{number}/check": lambda n: Request(
        path={"authority": AREA, "number": ORDER_NUMBER}),
    "POST /api/v1/orders/{authority}/{number}/issue": lambda n: Request(
        path={"authority": AREA, "number": ORDER_NUMBER}),
    "GET /api/v1/audit/proof": lambda n: Request(query={"position": "1"}),
    "GET /api/v1/audit/access/{national_id}": lambda n: Request(path={"national_id": NID}),
    "POST /api/v1/salary-rounds/preview": lambda n: Request(body=_round()),
    "POST /api/v1/salary-rounds": lambda n: Request(body=_round(
        order_number=f"{n}/2569", order_date="2024-04-01")),
    "POST /api/v1/corrections": lambda n: Request(body={
        "national_id": NID, "area": AREA, "version": 2, "reason": "พิมพ์เงินเดือนผิด",
        "order_number": f"{n}/2570", "order_date": "2024-06-01",
        "changes": {"new_salary": 15_600}}),
    "POST /api/v1/imports": lambda n: Request(
        body={"area": AREA}, files={"files": [("people.csv",
                                              (DATA / "people.csv").read_bytes())]}),
    "GET /api/v1/payroll/{area}/{month}": lambda n: Request(
        path={"area": AREA, "month": "2024-05"}),
    "POST /api/v1/records/{national_id}/evidence": lambda n: Request(
        path={"national_id": NID},
        body={"to": "0", "description": "สำเนาคำสั่งบรรจุ", "order_number": "1/2553",
              "order_date": "2010-05-16"},
        files={"file": [(f"scan-{n}.pdf", SCAN + str(n).encode())]}),
    "GET /api/v1/evidence/{sha256}": lambda n: Request(
        path={"sha256": hashlib.sha256(SCAN).hexdigest()}),
    "POST /api/v1/users": lambda n: Request(body={
        "username": f"user-{n}", "password": "a long enough password", "role": "registrar",
        "areas": [AREA], "display_name": "สมชาย รักเรียน"}),
    "POST /api/v1/users/{username}/revoke-tokens": lambda n: Request(
        path={"username": "victim"}),
    "POST /api/v1/keys": lambda n: Request(body={"name": f"spare-{n}", "role": "registrar",
                                                    "area": AREA}),
    "POST /api/v1/keys/{name}/rotate": lambda n: Request(
        path={"name": "spare-rotated"}, body={"new_name": f"spare-rotated-{n}"}),
    "POST /api/v1/keys/{name}/revoke": lambda n: Request(
        path={"name": "spare-revoked"}, body={"reason": "ไม่ได้ใช้"}),
}


def baseline(operation: Operation, n: int) -> Request:
    """The operation's known baseline, over one built from its schema."""
    generic = generic_baseline(operation)
    known = BASELINES.get(operation.key)
    if known is None:
        return generic
    request = known(n)
    return replace(request, path={**generic.path, **request.path},
                   query={**generic.query, **request.query},
                   headers={**generic.headers, **request.headers},
                   body=generic.body if request.body is None else request.body,
                   files=request.files or generic.files)


# ------------------------------------------------------------------ what was written


@dataclass(frozen=True)
class State:
    events: int
    accounts: int
    files: frozenset[str]


def _files(*folders: Path) -> frozenset[str]:
    return frozenset(str(p) for folder in folders if folder.exists()
                     for p in folder.rglob("*"))


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(k)
            yield from _leaves(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _leaves(v)


def _named(value: Any, key: str | int) -> Iterator[str]:
    """Every text kept under ``key`` in a written object."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key and isinstance(v, str):
                yield v
            yield from _named(v, key)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _named(v, key)


def _decoded(state: bytes) -> Any:
    try:
        return orjson.loads(state)
    except orjson.JSONDecodeError:
        return state.decode("utf-8", "replace")


@dataclass(frozen=True)
class Written:
    events: list[Any]  # new ledger events, decoded
    accounts: list[tuple[str, Any]]  # new events in the accounts store: (topic, state)
    files: list[str]  # files added or removed in the key and evidence folders

    @property
    def denials(self) -> int:
        return sum(topic == DENIAL for topic, _ in self.accounts)

    @property
    def anything(self) -> bool:
        """Anything beyond denials."""
        return bool(self.events or self.files or len(self.accounts) > self.denials)

    def leaves(self) -> set[str]:
        """Every text written (but denials)."""
        return set(_leaves(self.events)) | set(
            _leaves([e for topic, e in self.accounts if topic != DENIAL]))

    def __str__(self) -> str:
        topics = sorted({t.rpartition(":")[2] for t, _ in self.accounts if t != DENIAL})
        return (f"{len(self.events)} ledger event(s), account events {topics}, "
                f"files {sorted({Path(f).name for f in self.files})}")


@dataclass
class Stores:
    """The stores a request may write to."""

    services: Services
    folders: tuple[Path, ...]

    def state(self) -> State:
        return State(self.services.ledger.store.count_events(),
                     self.services.accounts.recorder.max_notification_id() or 0,
                     _files(*self.folders))

    def written(self, before: State) -> Written:
        events: list[Any] = []
        if self.services.ledger.store.count_events() != before.events:
            rows = list(self.services.ledger.store.iter_log())
            events = [_decoded(r.state) for r in rows[before.events:]]
        notifications = self.services.accounts.recorder.select_notifications(
            before.accounts + 1, 1000)
        return Written(events, [(n.topic, _decoded(n.state)) for n in notifications],
                       sorted(self.state().files ^ before.files))


# ------------------------------------------------------------------ judging an answer


def _from_the_http_server(answer: Answer) -> bool:
    """uvicorn's own refusal of a request it cannot parse (the app never saw it)."""
    return (answer.status == 400 and answer.headers.get("content-type", "").startswith(
        "text/plain") and answer.body.startswith(b"Invalid HTTP request"))


def _problem_detail(answer: Answer) -> list[str]:
    content_type = answer.headers.get("content-type", "")
    if not content_type.startswith("application/problem+json"):
        return [f"error {answer.status} is {content_type or 'without a content type'}, "
                f"not application/problem+json: {answer.body[:200]!r}"]
    try:
        problem = json.loads(answer.body)
    except ValueError:
        return [f"error {answer.status}: the problem detail is not JSON: {answer.body[:200]!r}"]
    if not isinstance(problem, dict):
        return [f"error {answer.status}: the problem detail is not an object"]
    missing = [k for k in ("detail", "detail_th", "code")
               if not isinstance(problem.get(k), str) or not problem[k].strip()]
    if missing:
        return [f"error {answer.status}: the problem detail has no {', '.join(missing)}: "
                f"{answer.body[:200]!r}"]
    if not re.search(r"[\u0e00-\u0e7f]", problem["detail_th"]):
        return [f"error {answer.status}: detail_th is not in Thai: {problem['detail_th']!r} "
                f"(code {problem['code']!r})"]
    return []


def _valid(schema: dict[str, Any], text: str) -> bool:
    """Whether the document itself calls ``text`` a valid value of the field."""
    if "enum" in schema and text not in schema["enum"]:
        return False
    if not schema.get("minLength", 0) <= len(text) <= schema.get("maxLength", len(text)):
        return False
    pattern = schema.get("pattern")
    if pattern is not None and re.search(pattern, text) is None:
        return False
    parse = {"date": date.fromisoformat, "date-time": datetime.fromisoformat}.get(
        str(schema.get("format")))
    if parse is not None:
        try:
            parse(text)
        except ValueError:
            return False
    return True


def _as_received(where: Field, hostile: Hostile) -> str | None:
    """The value as the app gets it: a header's bytes are Latin-1 text to it."""
    if where.location in ("header", "token"):
        return hostile.wire.decode("latin-1")
    return hostile.text


def _mangled(leaf: str, text: str) -> bool:
    """A written text that is the value, changed: cut, trimmed, normalised or re-decoded."""
    if leaf == text:
        return False
    return (("\ufffd" in leaf and "\ufffd" not in text) or leaf == text.strip()
            or leaf == unicodedata.normalize("NFKC", text)
            or (len(leaf) >= 20 and leaf in text))


def _what_was_kept(where: Field, hostile: Hostile, text: str, written: Written,
                   request: Request, stores: Stores) -> list[str]:
    """The verdict on a value the app took: kept verbatim (or not at all), or not."""
    leaves = written.leaves()
    if where.kind == "password":
        username = request.body.get("username") if isinstance(request.body, dict) else None
        if text in leaves:
            return ["kept a password in plain text"]
        if username and stores.services.accounts.authenticate(username, text) is None:
            return ["took a password that does not sign in"]
        return []
    if where.kind == "file name":
        kept = [leaf for leaf in leaves if leaf != "" and (
            "../" in leaf or "..\\" in leaf or "\ufffd" in leaf
            or any(ord(c) < 32 and c not in "\n\t" for c in leaf))]
        return [f"kept a file's name with a path, a control character or U+FFFD: "
                f"{[k[:80] for k in kept]}"] if kept else []
    # Free text kept under the field's own name (a title as "title" …) is kept exactly;
    named = list(_named([*written.events, *(e for _, e in written.accounts)], where.name[-1])) \
        if where.name and where.kind == "free" else []
    if named and text not in named:
        return [f"kept {where.name[-1]!r} as {[n[:80] for n in named]}, not verbatim"]
    # and nowhere is it kept changed: cut, trimmed, normalised or re-decoded.
    changed = [leaf for leaf in leaves if _mangled(leaf, text)]
    return [f"kept the value changed, not verbatim: {[c[:80] for c in changed]}"] \
        if changed else []


def judge(fuzz: Fuzz, answer: Answer, written: Written, request: Request,
          stores: Stores) -> list[str]:
    """What is wrong with the answer to one hostile request, and with what it wrote."""
    where, hostile = fuzz.where, fuzz.hostile
    problems = []
    if answer.status >= 500:
        problems.append(f"server error {answer.status}: {answer.body[:300]!r}")
    if answer.status >= 400 and not _from_the_http_server(answer):
        problems += _problem_detail(answer)
    expected_denials = 1 if answer.status in (401, 403) else 0
    if written.denials != expected_denials:
        problems.append(f"{written.denials} denial(s) logged with a {answer.status} "
                        f"(expected {expected_denials})")
    if not written.anything:
        return problems
    text = _as_received(where, hostile)
    if answer.status >= 400:
        return [*problems, f"refused with {answer.status} but wrote {written}"]
    if where.kind == "content":  # any bytes are a file; kept, it is kept under its hash
        if hashlib.sha256(hostile.wire).hexdigest() not in written.leaves():
            problems.append(f"took a file and wrote {written}, but not under its SHA-256")
        return problems
    if where.kind == "file name":  # kept or replaced, but never with a path
        return problems + _what_was_kept(where, hostile, text or "", written, request, stores)
    if text is None or not _takes(where, hostile, text):
        return [*problems, f"took it with {answer.status} and wrote {written}"]
    return problems + _what_was_kept(where, hostile, text, written, request, stores)


def _takes(where: Field, hostile: Hostile, text: str) -> bool:
    """Whether the field may take the value at all (if it does, it must keep it verbatim)."""
    if where.kind == "password":  # any text, since it is kept only as a hash
        return True
    if where.location in ("header", "token"):
        # A header is Latin-1 text to the app: any but control characters, and not overlong.
        benign = len(text) <= 1000 and not any(ord(c) < 32 or c == "\x7f" for c in text)
    else:
        benign = hostile.benign
    return benign and (where.kind == "free"
                       or (where.schema is not None and _valid(where.schema, text)))


def _reproduction(raw: bytes) -> str:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n")
             if not line.lower().startswith((b"authorization: bearer ey", b"host:",
                                             b"connection:"))]
    shown = b"\n    ".join(line[:300] + (b"..." if len(line) > 300 else b"") for line in lines)
    text = shown.decode("utf-8", "backslashreplace")
    if body:
        text += f"\n    body ({len(body)} bytes): {body[:400]!r}"
    return text


# ------------------------------------------------------------------ the test


@dataclass
class Fuzzer:
    api: Api
    host: str
    port: int
    stores: Stores
    counter: int = 0
    sent: int = 0
    failures: dict[str, list[str]] = field(default_factory=dict)

    def next(self) -> int:
        self.counter += 1
        return self.counter

    def token(self, username: str | None) -> str | None:
        # A fresh token for every request: a request may sign its user out.
        return None if username is None else self.api.services.tokens.issue(username)[0]

    def send(self, operation: Operation, request: Request, username: str | None,
             fuzz: Fuzz | None = None) -> tuple[bytes, Answer]:
        raw = encode(operation, request, f"{self.host}:{self.port}", self.token(username), fuzz)
        self.sent += 1
        return raw, exchange(self.host, self.port, raw)

    def fail(self, operation: Operation, message: str) -> None:
        self.failures.setdefault(operation.key, []).append(message)

    def actor(self, operation: Operation) -> str | None:
        """The first user the baseline is not refused for (None: no token needed)."""
        if not operation.secured:
            self.check_baseline(operation, None)
            return None
        for username in ACTORS:
            if self.check_baseline(operation, username) not in (401, 403):
                return username
        self.fail(operation, "no user of the fixture gets past 401/403 with the baseline, so "
                             "no hostile value reaches the route: give it a baseline in "
                             "BASELINES (tests/test_api_hostile.py) or a user in tests/web.py")
        return ACTORS[0]

    def check_baseline(self, operation: Operation, username: str | None) -> int:
        raw, answer = self.send(operation, baseline(operation, self.next()), username)
        if answer.status >= 500:
            self.fail(operation, f"the baseline gets {answer.status}:\n    "
                                 f"{_reproduction(raw)}")
        return answer.status

    def fuzz(self, operation: Operation) -> None:
        username = self.actor(operation)
        for where in fields(operation, baseline(operation, 0)):
            for hostile in HOSTILE:
                if not _carried(where, hostile):
                    continue
                request = baseline(operation, self.next())
                before = self.stores.state()
                fuzz = Fuzz(where, hostile)
                raw, answer = self.send(operation, request, username, fuzz)
                written = self.stores.written(before)
                for problem in judge(fuzz, answer, written, request, self.stores):
                    self.fail(operation, f"[{where.label} ← {hostile.name}] {problem}\n    "
                                         f"as {username or 'nobody'}: {_reproduction(raw)}")


def _carried(where: Field, hostile: Hostile) -> bool:
    """Whether the field can carry the value as one value at all."""
    if where.location in ("header", "token"):
        # CR or LF ends a header: what arrives is another header, not this value.
        return hostile.text is None or not any(c in hostile.text for c in "\r\n")
    if where.location == "raw path":  # only what differs from the encoded segment
        return hostile.text is not None and any(c in hostile.text for c in "/\\%")
    return True


def _seed(api: Api) -> None:
    """What the baselines refer to: a drafted order, a checkpoint, an evidence file, two
    spare keys and a user whose tokens may be revoked."""
    services = api.services
    ref = {"authority": AREA, "order_number": ORDER_NUMBER, "order_date": "2024-05-01"}
    services.desk.draft(services.keys_for(AREA).registrar, authority=AREA, area=AREA,
                        order_number=ORDER_NUMBER, order_date=date(2024, 5, 1),
                        title="บรรจุและแต่งตั้ง", lines=opening_lines(11, ref=ref))
    attached = api.client.post(
        f"/api/v1/records/{NID}/evidence", headers=api.as_("reg"),
        data={"to": "0", "description": "สำเนาคำสั่งบรรจุ", "order_number": "1/2553",
              "order_date": "2010-05-16"},
        files={"file": ("scan.pdf", SCAN, "application/pdf")})
    assert attached.status_code == 201, attached.text
    for name in ("spare-rotated", "spare-revoked"):
        added = api.client.post("/api/v1/keys", headers=api.as_("adm"),
                                json={"name": name, "role": "registrar", "area": AREA})
        assert added.status_code == 201, added.text
    services.accounts.add_user("victim", PASSWORD, role="auditor", areas=[])
    create_checkpoint(services.ledger.store, services.operator_keys().checkpoint)
    rebuild(services.ledger, services.view)


@pytest.fixture
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its lightest: a few hundred accounts are made and signed in to here, and
    the cost of a hash is not what this module tests. (Set up before ``api``, so every
    account of the fixture has the same parameters and no sign-in rehashes.)"""
    monkeypatch.setattr("api.web.accounts._hasher",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
                        raising=False)


def test_hostile_input_in_every_field_is_refused_or_kept_verbatim(quick_hashes: None,
                                                                   api: Api) -> None:
    _seed(api)
    # Every refusal is judged on its own denial: none is left to the count of unauthenticated
    # refusals past ten a minute (tests/test_web_api.py tests that limit).
    api.services.denial_limit = DenialLimit(per_window=10**9)
    folders = (api.services.key_store.path_for("x").parent, api.services.evidence.directory)
    # The projection runs beside the server, as under ``tabien serve``: the operations before
    # the payroll feed write career events, and a feed is made only from a view caught up
    # with them (else 503 view-behind, docs/payroll.md).
    with record_runner(api.services.url), serve(create_app(api.services)) as (host, port):
        document = json.loads(exchange(host, port, (
            f"GET /api/v1/openapi.json HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Connection: close\r\n\r\n").encode()).body)
        fuzzer = Fuzzer(api, host, port, Stores(api.services, folders))
        for operation in operations(document):
            fuzzer.fuzz(operation)
    if fuzzer.failures:
        report = [f"{key}: {len(found)} failure(s)\n  " + "\n  ".join(found)
                  for key, found in fuzzer.failures.items()]
        pytest.fail(f"{sum(len(f) for f in fuzzer.failures.values())} of {fuzzer.sent} hostile "
                    "requests went wrong:\n" + "\n".join(report), pytrace=False)
