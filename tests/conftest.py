import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # PBKDF2's production cost would dominate the suite; the hasher is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user(username="alice", password=PASSWORD, email="a@example.com")


def obtain_tokens(client: Client, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post(
        "/token/pair",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def auth_client(user) -> Client:
    """A client whose requests carry alice's Bearer access token."""
    access = obtain_tokens(Client(), user.username)["access"]
    return Client(HTTP_AUTHORIZATION=f"Bearer {access}")
