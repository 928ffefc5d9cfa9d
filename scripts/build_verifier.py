#!/usr/bin/env python3
"""Build the standalone verifier: one HTML file, its script inline, that a person keeps.

    python scripts/build_verifier.py OUT    # writes OUT, prints "sha256  OUT"

The file is pages/standalone/verifier.html with pages/static/pages/verify.js (the script
the lottery's pages run) in its one placeholder, and the SHA-256 of that script and of its
style in its Content-Security-Policy, so that it loads and runs nothing else. The build is
reproducible: no date, no path, newlines normalised to LF, so two builds of the same sources
give the same bytes and the same hash (docs/verifying.md prints it). Standard library only;
the lottery serves the same bytes at /verifier.html (pages/views.py imports ``build``).
"""

import base64
import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "pages" / "standalone" / "verifier.html"
SCRIPT = ROOT / "pages" / "static" / "pages" / "verify.js"
SCRIPT_SLOT = "<script>/*@VERIFY_JS@*/</script>"
SCRIPT_HASH = "@SCRIPT_HASH@"
STYLE_HASH = "@STYLE_HASH@"
STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def _source(path: Path) -> str:
    return path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def _inline(script: str) -> str:
    """The script as it can sit between <script> and </script>: nothing in it may end the
    element early or open an HTML comment that would hide its end tag."""
    script = re.sub(r"</(script)", r"<\\/\1", script, flags=re.I)
    if "<!--" in script:
        raise ValueError(f"{SCRIPT.name} holds '<!--', which an inline script cannot carry")
    return script


def build() -> bytes:
    """The standalone verifier's bytes: the same for the same sources, every time."""
    template = _source(TEMPLATE)
    script = _inline(_source(SCRIPT))
    if template.count(SCRIPT_SLOT) != 1:
        raise ValueError(f"{TEMPLATE.name} must hold {SCRIPT_SLOT} exactly once")
    styles = STYLE.findall(template)
    if len(styles) != 1:
        raise ValueError(f"{TEMPLATE.name} must hold one <style> element")
    for token in (SCRIPT_HASH, STYLE_HASH):
        if template.count(token) != 1:
            raise ValueError(f"{TEMPLATE.name} must hold {token} exactly once")
    page = template.replace(SCRIPT_HASH, _csp_hash(script)).replace(
        STYLE_HASH, _csp_hash(styles[0])
    )
    before, after = page.split(SCRIPT_SLOT)
    return f"{before}<script>{script}</script>{after}".encode()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: build_verifier.py OUT", file=sys.stderr)
        return 2
    out = Path(argv[0])
    content = build()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    print(f"{hashlib.sha256(content).hexdigest()}  {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
