"""``GET /api/v1/openapi.json``: the machine-readable contract agrees with API.md."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

# Every operation of API.md, with the statuses API.md names for it. Path
# parameters are compared by position only ({id} in API.md is {comment_id} here).
API_MD = {
    ("get", "/api/v1/threads/{site}/comments"): {"200", "304", "400", "404"},
    ("post", "/api/v1/threads/{site}/comments"): {"202", "400", "403", "404", "413", "429"},
    ("get", "/api/v1/threads/{site}/counts"): {"200", "400", "404"},
    ("post", "/api/v1/comments/{id}/flags"): {"202", "400", "404"},
    ("patch", "/api/v1/comments/{id}"): {"200", "400", "401", "403", "404"},
    ("get", "/api/v1/moderation/{site}/queue"): {"200", "401", "403"},
    ("post", "/api/v1/moderation/{site}/decisions"): {"200", "400", "401", "403", "404"},
    ("patch", "/api/v1/moderation/comments/{id}"): {"200", "400", "401", "403", "404"},
    ("post", "/api/v1/moderation/{site}/bans"): {"400", "401", "403", "404"},
}
READER = [op for op in API_MD if not op[1].startswith("/api/v1/moderation/")]
MODERATION = [op for op in API_MD if op[1].startswith("/api/v1/moderation/")]


def shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    for candidate, ops in document["paths"].items():
        if shape(candidate) == shape(path) and method in ops:
            return ops[method]
    raise AssertionError(f"{method.upper()} {path} is not in openapi.json")


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def json_schema(document: dict[str, Any], container: dict[str, Any]) -> dict[str, Any]:
    return resolve(document, container["content"]["application/json"]["schema"])


@pytest.mark.django_db
def test_openapi_document_is_served(client: Client) -> None:
    """The document answers 200 with an OpenAPI 3 object titled commentdesk."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    data = response.json()
    assert data["openapi"].startswith("3.")
    assert data["info"]["title"] == "commentdesk"
    assert data["paths"]


@pytest.mark.parametrize(("method", "path"), list(API_MD), ids=[f"{m} {p}" for m, p in API_MD])
def test_every_api_md_operation_is_listed(document: dict[str, Any], method: str, path: str) -> None:
    """Each reader and moderation operation of API.md is in the document."""
    assert operation(document, method, path)


@pytest.mark.parametrize(("method", "path"), list(API_MD), ids=[f"{m} {p}" for m, p in API_MD])
def test_documented_statuses_are_declared(document: dict[str, Any], method: str, path: str) -> None:
    """Each operation declares the answers API.md gives it."""
    declared = set(operation(document, method, path)["responses"])
    assert API_MD[(method, path)] <= declared, f"missing {API_MD[(method, path)] - declared}"


@pytest.mark.parametrize(("method", "path"), READER, ids=[f"{m} {p}" for m, p in READER])
def test_reader_errors_have_the_error_shape(document: dict[str, Any], method: str, path: str) -> None:
    """4xx answers of reader operations are documented as ``{"error": {"code", "message", "fields"}}``."""
    responses = operation(document, method, path)["responses"]
    for status in sorted(s for s in responses if s.startswith("4")):
        schema = json_schema(document, responses[status])
        error = resolve(document, schema["properties"]["error"])
        assert {"code", "message", "fields"} <= set(error["properties"]), status


def test_submission_request_lists_the_contract_fields(document: dict[str, Any]) -> None:
    """The POST body names every field of API.md's request, with ``key`` and ``body`` required."""
    op = operation(document, "post", "/api/v1/threads/{site}/comments")
    schema = json_schema(document, op["requestBody"])
    assert {"key", "url", "title", "parent_id", "author_name", "email", "body", "website"} <= set(schema["properties"])
    assert {"key", "body"} <= set(schema.get("required", []))


def test_thread_answer_lists_the_contract_fields(document: dict[str, Any]) -> None:
    """The 200 of a thread read names thread, comments (with every comment field) and next."""
    op = operation(document, "get", "/api/v1/threads/{site}/comments")
    schema = json_schema(document, op["responses"]["200"])
    assert set(schema["properties"]) == {"thread", "comments", "next"}
    thread = resolve(document, schema["properties"]["thread"])
    assert {"site", "key", "title", "url", "is_closed", "comment_count"} <= set(thread["properties"])
    comment = resolve(document, schema["properties"]["comments"]["items"])
    assert {
        "id", "parent_id", "author_name", "body", "created_at", "published_at", "edited", "edited_by_moderator",
        "reply_count",
    } <= set(comment["properties"])
    params = {p["name"] for p in op["parameters"]}
    assert {"key", "order", "limit", "cursor"} <= params


def test_submission_answer_lists_the_contract_fields(document: dict[str, Any]) -> None:
    """The 202 names comment (with status), message and edit_token."""
    op = operation(document, "post", "/api/v1/threads/{site}/comments")
    schema = json_schema(document, op["responses"]["202"])
    assert {"comment", "message", "edit_token"} <= set(schema["properties"])
    assert "status" in resolve(document, schema["properties"]["comment"])["properties"]


def test_counts_takes_repeated_keys(document: dict[str, Any]) -> None:
    """``key`` of the counts operation is an array query parameter."""
    op = operation(document, "get", "/api/v1/threads/{site}/counts")
    [key] = [p for p in op["parameters"] if p["name"] == "key"]
    assert key["in"] == "query"
    assert resolve(document, key["schema"])["type"] == "array"


@pytest.mark.parametrize(("method", "path"), MODERATION, ids=[f"{m} {p}" for m, p in MODERATION])
def test_moderation_operations_require_authentication(document: dict[str, Any], method: str, path: str) -> None:
    """Moderation operations declare a security requirement; reader operations do not."""
    assert operation(document, method, path).get("security")


@pytest.mark.parametrize(("method", "path"), READER, ids=[f"{m} {p}" for m, p in READER])
def test_reader_operations_need_no_login(document: dict[str, Any], method: str, path: str) -> None:
    """Readers never log in."""
    assert not operation(document, method, path).get("security")
