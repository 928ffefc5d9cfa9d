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
    ("method", "path", "statuses"),
    [
        ("post", "/accounts/register", {"201", "400", "409", "413", "415", "422", "429", "503"}),
        ("get", "/accounts/me", {"200", "401", "503"}),
        ("patch", "/accounts/me", {"200", "400", "401", "413", "415", "422", "503"}),
        ("post", "/token/pair", {"200", "400", "401", "413", "415", "422", "429", "503"}),
        ("post", "/token/refresh", {"200", "400", "401", "413", "415", "422", "503"}),
        ("post", "/token/verify", {"200", "400", "401", "413", "415", "422", "503"}),
        ("post", "/token/blacklist", {"200", "400", "401", "413", "415", "422", "503"}),
        ("get", "/lotteries", {"200", "503"}),
        ("post", "/ballots", {"201", "400", "401", "413", "415", "422", "429", "503"}),
        ("post", "/ballots/batch", {"201", "400", "401", "413", "415", "422", "429", "503"}),
        ("get", "/ballots", {"200", "400", "401", "422", "503"}),
        ("get", "/ballots/{ballot_id}", {"200", "401", "404", "422", "503"}),
        ("get", "/draws", {"200", "400", "422", "503"}),
        ("get", "/draws/{lottery_date}", {"200", "404", "422", "503"}),
        ("get", "/draws/{lottery_date}/ballots", {"200", "400", "404", "422", "429", "503"}),
        (
            "get",
            "/draws/{lottery_date}/ballots/{ballot_id}/proof",
            {"200", "404", "422", "429", "503"},
        ),
    ],
)
def test_docs_declare_every_status_an_endpoint_can_return(client, method, path, statuses):
    operation = client.get("/openapi.json").json()["paths"][path][method]

    assert set(operation["responses"]) == statuses


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
