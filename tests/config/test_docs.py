import pytest

pytestmark = pytest.mark.no_database


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
        (
            "patch",
            "/accounts/me",
            {"200", "202", "400", "401", "403", "413", "415", "422", "429", "503"},
        ),
        (
            "put",
            "/accounts/me/email",
            {"200", "202", "400", "401", "403", "413", "415", "422", "429", "503"},
        ),
        ("post", "/accounts/email/confirm", {"204", "400", "413", "415", "422", "429", "503"}),
        (
            "post",
            "/accounts/me/password",
            {"204", "400", "401", "403", "413", "415", "422", "429", "503"},
        ),
        ("delete", "/accounts/me", {"204", "400", "401", "403", "413", "415", "422", "429", "503"}),
        ("post", "/accounts/password-reset", {"202", "400", "413", "415", "422", "429", "503"}),
        (
            "post",
            "/accounts/password-reset/confirm",
            {"204", "400", "413", "415", "422", "429", "503"},
        ),
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
        "/accounts/me/email",
        "/accounts/me/password",
        "/accounts/email/confirm",
        "/accounts/password-reset",
        "/accounts/password-reset/confirm",
        "/token/pair",
        "/token/refresh",
        "/token/verify",
        "/token/blacklist",
    ],
)
def test_the_schema_documents_every_endpoint(client, path):
    schema = client.get("/openapi.json").json()

    assert path in schema["paths"]


def operations(client):
    schema = client.get("/openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_has_a_summary_and_a_description_naming_each_error_it_declares(client):
    for method, path, operation in operations(client):
        name = operation["operationId"].rsplit("_api_", 1)[-1]
        assert operation.get("summary"), (method, path)
        # Not Ninja's default, the function's name in title case ("Ballot Submit").
        assert operation["summary"] != name.replace("_", " ").title(), (method, path)
        description = operation.get("description", "")
        assert len(description) > 60, (method, path)
        for status in operation["responses"]:
            if not status.startswith("2"):
                assert status in description, (method, path, status)


def test_the_api_description_walks_through_the_three_step_sign_in(client):
    description = client.get("/openapi.json").json()["info"]["description"]

    steps = ["1. `POST /accounts/register`", "2. `POST /token/pair`", "3. Click **Authorize**"]
    assert all(step in description for step in steps)
    assert description.index(steps[0]) < description.index(steps[1]) < description.index(steps[2])
    assert 'without* "Bearer "' in description


def test_health_sits_under_operations_apart_from_the_participants(client):
    schema = client.get("/openapi.json").json()
    tagged = {(method, path): operation["tags"] for method, path, operation in operations(client)}

    assert {key for key, tags in tagged.items() if "operations" in tags} == {
        ("GET", "/health/live"),
        ("GET", "/health/ready"),
        ("GET", "/health/draws"),
    }
    assert all(len(tags) == 1 for tags in tagged.values())
    assert [tag["name"] for tag in schema["tags"]][-1] == "operations"


def test_optional_dates_are_a_plain_date_not_a_union_with_null(client):
    schema = client.get("/openapi.json").json()
    ballot_list = schema["paths"]["/ballots"]["get"]
    (date,) = [p for p in ballot_list["parameters"] if p["name"] == "date"]
    body_date = schema["components"]["schemas"]["BallotIn"]["properties"]["date"]

    # Swagger UI showed these as "string | (string | null)($date)".
    assert date["schema"] == {"type": "string", "format": "date", "title": "Date"}
    assert date["required"] is False
    assert body_date["type"] == ["string", "null"]  # a body may send null: today
    assert body_date["format"] == "date"
    for _, _, operation in operations(client):
        for parameter in operation.get("parameters", []):
            assert "anyOf" not in parameter["schema"], parameter["name"]


@pytest.mark.django_db
def test_a_body_date_of_null_is_still_today(auth_client):
    response = auth_client.post("/ballots", {"date": None}, content_type="application/json")

    assert response.status_code == 201
