"""Schemathesis against the citizen API's OpenAPI schema (django-ninja), served by
the live daphne demo server. Every generated request carries a valid secret of a
fresh conversation (so the erase operation and the message limit do not starve the
other cases); every response must conform to the schema and no request may cause a
server error."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

API = "/buergerchat/api/v1"

#: Uploads are refused by their *content* (type by magic numbers, programs, damaged
#: PDFs), which a schema cannot express: a schema-valid random file may be refused
#: with 400. Every other check (status codes, response schemas, no 5xx) still applies.
#: The resume link's token is checked by its value (one-time, stored as a hash): a
#: schema-valid random token is refused with 410.
CONTENT_CHECKED = {("POST", API + "/attachments"), ("POST", API + "/resume-link")}


@pytest.fixture(scope="session")
def api_schema(demo_server):
    schema = schemathesis.openapi.from_url(f"{demo_server.url}{API}/openapi.json")
    schema.config.base_url = demo_server.url  # the schema's paths are absolute
    return schema


def fresh_secret(server):
    response = requests.post(
        f"{server.url}/buergerchat/start/1/", data={"text": "Schemathesis", "privacy": "on"}, timeout=10
    )
    assert response.status_code == 201
    return response.json()["secret"]


def test_api_conforms_to_its_schema(api_schema, demo_server):
    # Driven through hypothesis directly (schemathesis' pytest plugin does not support
    # this pytest version); one property per operation.
    for result in api_schema.get_all_operations():
        operation = result.ok()
        excluded = [positive_data_acceptance] if (operation.method.upper(), operation.path) in CONTENT_CHECKED else []

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=operation.as_strategy())
        def check(case):
            case.headers = {**(case.headers or {}), "X-Buergerchat-Secret": fresh_secret(demo_server)}
            case.call_and_validate(excluded_checks=excluded)

        check()


def test_schema_documents_every_operation(api_schema):
    operations = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert operations == {
        ("GET", API + "/conversation"),
        ("GET", API + "/messages"),
        ("POST", API + "/messages"),
        ("GET", API + "/export"),
        ("POST", API + "/erase"),
        ("POST", API + "/attachments"),
        ("GET", API + "/attachments/{attachment_id}"),
        ("GET", API + "/attachments/{attachment_id}/thumbnail"),
        ("GET", API + "/transcript"),
        ("POST", API + "/read"),
        ("POST", API + "/rating"),
        ("POST", API + "/extend"),
        ("POST", API + "/notices/stop"),
        ("POST", API + "/resume-link"),
    }
