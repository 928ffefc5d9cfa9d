"""GET /openapi.json is made once per process (issue 26: it cost ~60 ms of CPU per request,
which any anonymous client could ask for again and again)."""

from unittest.mock import patch

from ninja import NinjaAPI

from config.api import api


def test_the_schema_is_made_once_and_served_the_same(client):
    api.__dict__.pop("_openapi_schemas", None)  # as a new process has it
    made = NinjaAPI.get_openapi_schema
    with patch.object(NinjaAPI, "get_openapi_schema", autospec=True, side_effect=made) as spy:
        first = client.get("/openapi.json")
        again = [client.get("/openapi.json") for _ in range(3)]
    assert spy.call_count == 1
    assert first.status_code == 200
    assert all(answer.content == first.content for answer in again)
    assert "/ballots/{ballot_id}/receipt" in first.json()["paths"]
