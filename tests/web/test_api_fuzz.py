"""schemathesis against the app's own OpenAPI document (WSGI, no server): bounded examples,
no server error, every answer as the document says (status, content type, headers, schema)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

schema = schemathesis.pytest.from_fixture("api_schema")

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_headers_conformance, checks.response_schema_conformance]


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_matches_its_document(case):
    case.call_and_validate(checks=CHECKS)
