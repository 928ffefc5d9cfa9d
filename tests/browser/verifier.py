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


# --- The standalone verifier (pages/standalone/verifier.html, opened from disk) -------------


def set_limits(page: Any, **seconds: float) -> None:
    """The page's deadlines for tests (run, request, wait_budget, wait seconds), set as the
    data- attributes of its body: nothing a link could set."""
    names = {"run": "runSeconds", "request": "requestSeconds"}
    names |= {"wait_budget": "waitBudgetSeconds", "wait": "waitSeconds"}
    values = {names[k]: str(v) for k, v in seconds.items()}
    page.evaluate("(values) => Object.assign(document.body.dataset, values)", values)


def _forget_outcome(section: Any) -> None:
    section.evaluate("(s) => s.querySelector('.outcome').removeAttribute('data-outcome')")


def standalone_check(
    page: Any,
    base: str,
    day: object,
    log_key: str,
    *,
    floor: str = "2^8",
    witnesses: tuple[str, ...] = (),
    ballot: str | None = None,
    receipt: str | None = None,
    commitment: str | None = None,
    timeout: float = 120_000,
) -> tuple[str, list[tuple[str, str, str]]]:
    """Type what the person types on the standalone page, press Verify; its outcome, checks."""
    page.get_by_label("The lottery's address").fill(base)
    page.get_by_label("The day").fill(str(day))
    page.get_by_label("The lottery's log key").fill(log_key)
    page.get_by_label("Witness keys").fill("\n".join(witnesses))
    page.get_by_label("Lowest delay to accept").fill(floor)
    page.get_by_label("Seed commitment seen before the close").fill(commitment or "")
    page.get_by_label("Ballot id").fill(ballot or "")
    page.get_by_label("Receipt", exact=True).fill(receipt or "")
    section = page.locator("#results")
    _forget_outcome(section)
    page.get_by_role("button", name="Verify", exact=True).click()
    outcome = wait_done(section, timeout)
    return outcome, checks_of(section)


def standalone_bundle(
    page: Any, path: Any, log_key: str, *, floor: str = "2^8", timeout: float = 60_000
) -> tuple[str, list[tuple[str, str, str]]]:
    """Check a proof bundle file offline on the standalone page."""
    page.get_by_label("The lottery's log key").fill(log_key)
    page.get_by_label("Lowest delay to accept").fill(floor)
    page.get_by_label("Proof bundle", exact=True).set_input_files(str(path))
    section = page.locator("#bundle-results")
    _forget_outcome(section)
    page.get_by_role("button", name="Check the bundle").click()
    outcome = wait_done(section, timeout)
    return outcome, checks_of(section)
