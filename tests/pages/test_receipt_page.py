"""The pages offer each ballot's signed receipt as a file to keep."""

from datetime import timedelta

import pytest
from django.test import Client

from ballots.models import Ballot
from tests.conftest import PASSWORD, D, bearer_client, on

pytestmark = pytest.mark.django_db


def test_a_ballot_played_on_the_page_has_its_receipt_to_download(client, user):
    assert client.login(username="alice", password=PASSWORD)
    day = D + timedelta(days=1)
    with on(D):
        played = client.post("/play", {"date": str(day), "count": "3"}, follow=True)
        assert "its signed receipt to keep" in played.content.decode()
        ballot = Ballot.objects.filter(user=user).first()
        assert ballot is not None
        page = client.get(f"/my/ballots/{ballot.id}").content.decode()
        assert f'href="/my/ballots/{ballot.id}/receipt" download' in page
        kept = client.get(f"/my/ballots/{ballot.id}/receipt")
        api = bearer_client(user).get(f"/ballots/{ballot.id}/receipt").json()

    assert kept.status_code == 200
    assert kept["Content-Type"] == "text/plain; charset=utf-8"
    assert kept["Content-Disposition"] == f'attachment; filename="receipt-{ballot.id}.txt"'
    # The batch's one receipt, the same bytes as the API's, naming all three ballots.
    assert kept.content.decode() == api["receipt"]
    ids = sorted(str(i) for i in Ballot.objects.filter(user=user).values_list("id", flat=True))
    assert [
        line[len("ballot ") :] for line in api["receipt"].splitlines() if line.startswith("ballot ")
    ] == ids


def test_someone_elses_receipt_is_not_found_and_a_stranger_logs_in_first(
    client, user, other_client
):
    with on(D):
        theirs = other_client.post("/ballots", {}, content_type="application/json").json()
        assert client.login(username="alice", password=PASSWORD)
        assert client.get(f"/my/ballots/{theirs['id']}/receipt").status_code == 404
        anonymous = Client().get(f"/my/ballots/{theirs['id']}/receipt")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login?next=")
