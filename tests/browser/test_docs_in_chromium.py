"""A person's first visit to /docs, in a real browser: authorize once, submit, list.

Playwright for Python drives Debian's chromium (no browser download). .ci/run installs it;
elsewhere the test is skipped when /usr/bin/chromium is missing.
"""

import json
import time

import pytest

from scripts.production import post_json
from tests.browser.chromium import chromium, needs_chromium

PASSWORD = "correct-horse-battery-staple"

pytestmark = needs_chromium


@pytest.fixture
def access_token(live_server) -> str:
    # Through HTTP: the live server's thread owns the database for this test.
    credentials = {"username": "walker", "password": PASSWORD}
    post_json(f"{live_server.url}/accounts/register", credentials)
    return post_json(f"{live_server.url}/token/pair", credentials)["access"]


@pytest.fixture
def page():
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page


def try_it_out(page, operation_id: str, body: str | None = None):
    """Open an operation in Swagger UI, press "Try it out" and "Execute"; return its block."""
    block = page.locator(f"[id$='-{operation_id}']")
    block.locator(".opblock-summary").first.click()
    block.get_by_role("button", name="Try it out").click()
    if body is not None:
        block.locator("textarea.body-param__text").fill(body)
    block.get_by_role("button", name="Execute").click()
    return block


def test_a_person_authorizes_once_then_submits_and_lists_a_ballot(live_server, access_token, page):
    started = time.monotonic()
    page.goto(f"{live_server.url}/docs")

    # One Authorize form, filled once, for every endpoint.
    page.get_by_role("button", name="Authorize").first.click()
    forms = page.locator(".modal-ux .auth-container")
    assert forms.count() == 1
    forms.locator("input").fill(access_token)
    page.locator(".modal-ux button.modal-btn.authorize").click()
    page.locator(".modal-ux button.btn-done").click()

    submitted = try_it_out(page, "ballots_api_ballot_submit", body="{}")
    status = submitted.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "201"
    ballot = json.loads(submitted.locator(".live-responses-table .microlight").first.inner_text())

    listed = try_it_out(page, "ballots_api_ballot_list")
    status = listed.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    body = json.loads(listed.locator(".live-responses-table .microlight").first.inner_text())
    assert [item["id"] for item in body["items"]] == [ballot["id"]]
    took = time.monotonic() - started
    print(f"browser test: /docs, Authorize once, POST 201, GET lists the ballot in {took:.1f} s")
