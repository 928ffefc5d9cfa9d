"""Driving the in-browser verifier of a result page (pages/static/pages/verify.js)."""

from typing import Any


def checks_of(section: Any) -> list[tuple[str, str, str]]:
    """(pass/fail/info, name, reason) of each check the section shows."""
    rows = []
    for item in section.locator(".checks li").all():
        reason = item.locator(".reason")
        rows.append(
            (
                item.get_attribute("class") or "",
                item.locator(".name").inner_text(),
                reason.inner_text() if reason.count() else "",
            )
        )
    return rows


def wait_done(section: Any, timeout: float = 120_000) -> str:
    section.locator(".outcome[data-outcome]").wait_for(timeout=timeout)
    return section.locator(".outcome").get_attribute("data-outcome") or ""


def lower_floor(page: Any, min_delay: str | None) -> None:
    """Set "Lowest delay to accept" (verify_draw.py --min-delay) where the page has it."""
    field = page.locator("#min-delay")
    if min_delay is not None and field.count():
        field.fill(min_delay)


def enter_commitment(page: Any, commitment: str | None) -> None:
    """Fill "Seed commitment seen before the close" (verify_draw.py --commitment) if given."""
    if commitment is not None:
        page.locator("#seed-commitment").fill(commitment)


def verify_day(
    page: Any,
    timeout: float = 120_000,
    min_delay: str | None = None,
    commitment: str | None = None,
) -> tuple[str, list[tuple[str, str, str]]]:
    section = page.locator("section.verifier").filter(has=page.locator("[data-action=verify-day]"))
    lower_floor(page, min_delay)
    enter_commitment(page, commitment)
    page.get_by_role("button", name="Verify this draw").click()
    outcome = wait_done(section, timeout)
    return outcome, checks_of(section)


def check_ballot(
    page: Any, ballot_id: str, min_delay: str | None = None, commitment: str | None = None
) -> tuple[str, list[tuple[str, str, str]]]:
    section = page.locator("section.verifier").filter(has=page.locator("form.check-ballot"))
    lower_floor(page, min_delay)
    enter_commitment(page, commitment)
    page.get_by_label("Ballot id").fill(ballot_id)
    page.get_by_role("button", name="Check my ballot").click()
    outcome = wait_done(section)
    return outcome, checks_of(section)
