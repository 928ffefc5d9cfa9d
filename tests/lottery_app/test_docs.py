import pytest


def test_docs_serve_swagger_ui_from_the_app_not_a_cdn(client, settings):
    settings.DEBUG = False
    page = client.get("/docs")

    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    asset = client.get("/static/ninja/swagger-ui-bundle.js")
    assert asset.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/register",
        "/accounts/me",
        "/token/pair",
        "/token/refresh",
        "/token/verify",
        "/token/blacklist",
    ],
)
def test_the_schema_documents_every_endpoint(client, path):
    schema = client.get("/openapi.json").json()

    assert path in schema["paths"]
