"""POST /ballots/batch and Idempotency-Key: refused, never silently ignored."""

import pytest

from ballots.models import Ballot
from tests.conftest import D, on

pytestmark = pytest.mark.django_db


def test_a_batch_with_an_idempotency_key_is_refused_not_doubled(auth_client):
    with on(D):
        answers = [
            auth_client.post(
                "/ballots/batch",
                {"count": 5},
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="batch-1",
            )
            for _ in range(2)
        ]

    assert [answer.status_code for answer in answers] == [422, 422]
    assert "Idempotency-Key" in answers[0].json()["detail"]
    assert Ballot.objects.count() == 0


def test_the_docs_say_the_batch_refuses_the_header(client):
    operation = client.get("/openapi.json").json()["paths"]["/ballots/batch"]["post"]

    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert "refused" in header["description"]


def test_an_idempotency_key_the_server_could_not_read_gets_a_message_that_says_so(auth_client):
    # Granian hands a header value that is not ASCII over as "", as Django's test client
    # does here: the answer must not claim the client sent an empty key.
    with on(D):
        response = auth_client.post(
            "/ballots", {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=""
        )

    assert response.status_code == 422
    assert "visible ASCII" in str(response.json()["detail"])
    assert Ballot.objects.count() == 0
