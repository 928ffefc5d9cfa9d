"""Static files as the image serves them: collected, and compressed for clients that accept it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database

BUNDLE = "/static/ninja/swagger-ui-bundle.js"

# GET the bundle the way a browser does, in a process whose settings see STATIC_ROOT as the
# image leaves it (WhiteNoise reads the folder when the app starts).
FETCH = f"""
import django
django.setup()
from django.test import Client
response = Client().get("{BUNDLE}", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
body = b"".join(response.streaming_content)
print(response.status_code, response.get("Content-Encoding"), len(body))
"""


def fetch_bundle(env: dict[str, str]) -> list[str]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", FETCH], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_a_gzip_client_gets_swagger_uis_compressed_bundle_once_collected(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "static-test-" + "k" * 50,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "testserver",
        "STATIC_ROOT": str(tmp_path / "static"),
        "LOTTERY_VAR_DIR": str(tmp_path / "var"),
        "LOTTERY_LOG_KEY_FILE": str(Path(__file__).resolve().parents[1] / "log_key.test"),
    }
    status, encoding, size = fetch_bundle(env)  # nothing collected: served from the package
    assert (status, encoding) == ("200", "None")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], env=env, check=True
    )

    status, encoding, gzipped_size = fetch_bundle(env)

    assert (status, encoding) == ("200", "gzip")
    assert int(gzipped_size) < int(size) / 3  # 1.5 MB of JavaScript compresses well
