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
        """Screenshots of the whole page at 375 px and 1,280 px wide, each checked readable."""
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        for label, (width, height) in WIDTHS.items():
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.screenshot(path=SCREENSHOT_DIR / f"{name}-{label}.png", full_page=True)
            problems = self.page.evaluate(READABLE)
            assert problems == [], f"{name} at {label} px: {problems}"
            self.page.keyboard.press("Tab")
            assert self.page.evaluate(FOCUS_RING) == "", f"{name} at {label} px"
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def console_errors_except(self, *allowed: str) -> list[str]:
        return [e for e in self.console_errors if not any(re.search(a, e) for a in allowed)]

    def close(self) -> None:
        self.context.close()


# What a person needs to read and use a page, checked in the page itself: no sideways
# scrolling; every field labelled; text contrast of at least 4.5:1 (3:1 for large text,
# WCAG 2.1 AA) against the background it is drawn on; a visible focus ring on controls.
READABLE = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) problems.push(`page is ${doc.scrollWidth}px wide`);
  for (const field of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!field.labels || !field.labels.length) problems.push(`no label: ${field.outerHTML}`);
  }
  const rgb = (c) => (c.match(/[0-9.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === "hidden" || el.getClientRects().length === 0) continue;
    const [a, b] = [lum(rgb(style.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const text = el.textContent.trim().slice(0, 40);
    const least = large ? 3 : 4.5;
    if (ratio < least) problems.push(`contrast ${ratio.toFixed(2)}: ${el.tagName} ${text}`);
  }
  return problems;
}"""

# After a Tab key press: the focused control has a ring of at least 2 px.
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "nothing took the focus";
  const style = getComputedStyle(el);
  const ok = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return ok ? "" : `no visible focus on ${el.outerHTML.slice(0, 80)}`;
}"""
