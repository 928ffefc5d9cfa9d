"""Debian's chromium under Playwright, and what every page walk watches.

``Watched`` records the browser console's errors, uncaught exceptions and any request
that leaves the server's origin, and saves screenshots at a phone's and a desktop's width
into SCREENSHOT_DIR (git-ignored; CI keeps it as an artefact).
"""

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "browser-screenshots"))
WIDTHS = {"375": (375, 812), "1280": (1280, 900)}

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"needs {CHROMIUM}"),
]


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


class Watched:
    """A page whose console errors and off-origin requests are recorded."""

    def __init__(self, browser: Any, origin: str) -> None:
        self.origin = origin.rstrip("/")
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.console_errors: list[str] = []
        self.left_origin: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        self.context.on("request", self._request)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.console_errors.append(f"{message.text} ({where})")

    def _request(self, request: Any) -> None:
        url = request.url
        if not (url.startswith(self.origin + "/") or url.startswith(("data:", "blob:"))):
            self.left_origin.append(url)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.origin + path)

    def shoot(self, name: str) -> None:
        """Screenshots of the whole page at 375 px and 1,280 px wide."""
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        for label, (width, height) in WIDTHS.items():
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.screenshot(path=SCREENSHOT_DIR / f"{name}-{label}.png", full_page=True)
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def console_errors_except(self, *allowed: str) -> list[str]:
        return [e for e in self.console_errors if not any(re.search(a, e) for a in allowed)]

    def close(self) -> None:
        self.context.close()
