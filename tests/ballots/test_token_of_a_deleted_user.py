"""A still-valid access token whose user was deleted: a 401, with or without a key."""

import pytest

from accounts.models import User
from ballots.models import Ballot
from tests.conftest import D, on


@pytest.fixture
def orphan_client(auth_client, user):
    user.delete()  # the token stays valid until it expires: it is not checked per request
    return auth_client


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", [None, "order-1"])
def test_a_deleted_users_token_is_a_401_not_a_500(orphan_client, key):
    # With a key, the ballot and the key's row are written in one transaction whose
    # deferred foreign keys fail only at the commit: that was a 500.
    extra = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    orphan_client.raise_request_exception = False
    with on(D):
        response = orphan_client.post("/ballots", {}, content_type="application/json", **extra)
        batch = orphan_client.post("/ballots/batch", {"count": 2}, content_type="application/json")

    assert response.status_code == 401, response.content
    assert response.json() == {"detail": "The user of this token no longer exists."}
    assert batch.status_code == 401, batch.content
    assert not Ballot.objects.exists()
    assert not User.objects.exists()
