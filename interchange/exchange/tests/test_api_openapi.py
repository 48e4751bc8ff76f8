"""The supplier API's OpenAPI document is valid OpenAPI 3 and tells the truth: every
operation fuzzed by schemathesis (against the WSGI app, as a supplier with tickets) answers
without a server error, with a documented status, media type and body. And the interactive
docs work under the site's Content Security Policy, from our own static files."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.adapter.validators import validate_v3
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from interchange.exchange.api.api import api
from interchange.exchange.tests.api_helpers import World, world_fixture  # noqa: F401

# Enough to reach every branch of every operation, few enough to run in seconds.
EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _document() -> dict:
    return api.get_openapi_schema(path_prefix="/api/v1")


def test_the_document_is_valid_openapi_3() -> None:
    document = _document()
    assert document["openapi"].startswith("3.")
    validate_v3(document)  # raises on anything the OpenAPI meta-schema refuses
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert operations == {
        ("GET", "/api/v1/tickets"),
        ("GET", "/api/v1/tickets/{ref}"),
        ("GET", "/api/v1/tickets/{ref}/notes"),
        ("POST", "/api/v1/tickets/{ref}/acknowledge"),
        ("POST", "/api/v1/tickets/{ref}/notes"),
        ("POST", "/api/v1/tickets/{ref}/status"),
        ("PUT", "/api/v1/tickets/{ref}/supplier-reference"),
        ("POST", "/api/v1/tickets/{ref}/handback"),
        ("POST", "/api/v1/tickets/{ref}/attachments"),
    }
    assert document["components"]["securitySchemes"]["SupplierKey"]["scheme"] == "bearer"


@pytest.fixture
def wsgi_app() -> Iterator[object]:
    """The site's WSGI application, keeping the test's database connection open between
    requests (as Django's own test client does): the test's data lives in its transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_every_operation_survives_fuzzing(world: World, wsgi_app: object) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    # The real references of the supplier's own ticket, another's, and none at all.
    references = st.sampled_from(
        [world.ticket_a.reference, world.ticket_b.reference, "INC-000000", "nonsense"]
    )
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == 9
    for operation in operations:

        @given(case=operation.as_strategy(), ref=references)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case, ref: str) -> None:
            if "ref" in (case.path_parameters or {}):
                case.path_parameters["ref"] = ref
            case.call_and_validate(
                headers={"Authorization": f"Bearer {world.secret_a}"}, checks=CHECKS
            )

        fuzz()


@pytest.mark.browser
def test_the_interactive_docs_work_under_the_content_security_policy(live_server, page) -> None:
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".opblock-summary").first.wait_for()
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/tickets/{ref}/status" in [s.replace("\u200b", "") for s in summaries]
    assert page.evaluate("window.__cspViolations") == []
    assert page.js_errors == []
    # Swagger UI comes from our own static files: nothing was asked of another host.
    assert page.blocked_requests == []
