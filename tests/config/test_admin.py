import pytest

from accounts.models import User
from draws.services import lottery_draw
from tests.conftest import D, on, the_day_after

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    client.force_login(User.objects.create_superuser("op", "op@example.com", "x"))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/ballots/lottery/",
        "/admin/ballots/lottery/?state__exact=drawn",
        "/admin/ballots/ballot/",
        "/admin/ballots/ballot/?q=alice",
        "/admin/draws/draw/",
        "/admin/draws/winnernotification/?state__exact=sending",
    ],
)
def test_operators_can_list_lotteries_ballots_and_draws(operator, ballots_on, url):
    ids = ballots_on(D, 2)
    with on(the_day_after(D)):
        lottery_draw(lottery_date=D)

    response = operator.get(url)

    assert response.status_code == 200
    if "ballot/" in url:
        assert ids[0] in response.content.decode()


def test_ballots_and_draws_are_read_only_in_the_admin(operator, ballots_on):
    (ballot_id,) = ballots_on(D, 1)

    assert operator.get("/admin/ballots/ballot/add/").status_code == 403
    page = operator.get(f"/admin/ballots/ballot/{ballot_id}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert operator.get("/admin/draws/draw/add/").status_code == 403
