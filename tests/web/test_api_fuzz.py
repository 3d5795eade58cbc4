"""schemathesis against the app's own OpenAPI document (WSGI, no server): bounded examples,
no server error, every answer as the document says (status, content type, headers, schema),
invalid input refused, unsupported methods 405 with Allow, auth not ignored."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

schema = schemathesis.pytest.from_fixture("api_schema")

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_headers_conformance, checks.response_schema_conformance,
          checks.negative_data_rejection, checks.unsupported_method, checks.ignored_auth]
# Bounded and repeatable in the suite; SIGNPOST_FUZZ_EXAMPLES=2000 for a longer, random hunt.
LONG_RUN = os.environ.get("SIGNPOST_FUZZ_EXAMPLES")


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@schema.parametrize()
@settings(max_examples=int(LONG_RUN or 25), deadline=None, derandomize=not LONG_RUN,
          suppress_health_check=list(HealthCheck))
def test_api_matches_its_document(case):
    case.call_and_validate(checks=CHECKS, headers={"Authorization": "Bearer test-token"})
