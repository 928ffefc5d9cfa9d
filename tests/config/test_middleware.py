"""What every answer keeps after the admin-only middleware was taken off the API's path."""

import pytest
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/lotteries", "/draws", "/docs", "/no-such-thing"])
def test_every_answer_keeps_the_security_headers(client, settings, path):
    settings.DEBUG = False

    response = client.get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "sessionid" not in response.cookies


def test_an_unknown_host_is_still_refused_on_the_api(client, settings):
    settings.DEBUG = False

    assert client.get("/lotteries", HTTP_HOST="evil.example").status_code == 400


def test_the_admin_login_still_needs_its_csrf_token_and_keeps_a_session():
    User.objects.create_superuser("op", "op@example.com", PASSWORD)
    browser = Client(enforce_csrf_checks=True)
    form = {"username": "op", "password": PASSWORD, "next": "/admin/"}

    refused = browser.post("/admin/login/", form)
    browser.get("/admin/login/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    logged_in = browser.post("/admin/login/", {**form, "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert logged_in.status_code == 302
    assert "sessionid" in browser.cookies
    assert browser.get("/admin/").status_code == 200
