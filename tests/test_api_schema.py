"""Property-based run of schemathesis against the app's own OpenAPI schema.

Every operation gets a bounded number of generated requests (valid and invalid),
sent with an admin key; no response may be a 5xx or stray from the schema
(status code, content type, headers, body). Driven with Hypothesis directly:
schemathesis' lazy pytest loader does not run under pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.keys import create_key
from hocvuso.services import Services
from hocvuso.settings import load_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 12


@pytest.fixture(scope="module")
def app_and_key(tmp_path_factory):
    """The app on an ingested store of its own (admin endpoints may re-ingest it), and an admin key."""
    from ingest.pipeline import ingest_paths

    data_dir = tmp_path_factory.mktemp("schema")
    app_settings = load_settings(data_dir=data_dir, embedding={"backend": "none"})
    ingest_paths(app_settings, progress=False)
    services = Services(app_settings)
    app = create_app(services)
    yield app, create_key(services.db, "schemathesis", "admin")[1]
    app.state.ingest_jobs.join()
    services.close()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_api_conforms_to_its_schema(app_and_key, mode):
    app, key = app_and_key
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)

        try:
            call()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be built"
            # Nothing to make invalid: the operation takes no parameters and no body.
        except Exception as failure:  # report every operation that fails, not only the first
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
