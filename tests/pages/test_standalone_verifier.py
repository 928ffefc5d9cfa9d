"""The standalone verifier's build (scripts/build_verifier.py) and its download.

The file is the same bytes every build, the hash printed in docs/verifying.md is the hash
of a fresh build (whoever changes verify.js or the template updates the doc), the lottery
serves those bytes as a download, and its pages take no verifier setting from the link.
"""

import base64
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from draws.services import lottery_draw
from scripts import build_verifier
from scripts.build_verifier import build
from tests.conftest import PASSWORD, D, on, the_day_after

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "verifying.md"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_two_builds_are_the_same_bytes_and_the_command_prints_their_hash(tmp_path):
    first, second = build(), build()
    assert first == second
    out = tmp_path / "dist" / "lottery-verifier.html"
    result = subprocess.run(  # noqa: S603 - our own script, no shell
        [sys.executable, "-I", str(ROOT / "scripts" / "build_verifier.py"), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == f"{sha256(first)}  {out}\n"
    assert out.read_bytes() == first


def test_the_hash_in_docs_verifying_md_is_a_fresh_builds():
    section = DOC.read_text().split("## In your browser", 1)[1].split("\n## ", 1)[0]
    printed = re.findall(r"\b[0-9a-f]{64}\b", section)
    assert printed == [sha256(build())], (
        "docs/verifying.md (In your browser) must print the SHA-256 of `make verifier`'s "
        f"file: {sha256(build())}"
    )


def test_the_file_loads_nothing_and_runs_only_its_own_script():
    page = build().decode()
    # One script, inline: verify.js, whole; no element loads anything from anywhere.
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S | re.I)
    assert len(scripts) == 1
    assert "LotteryVerifier" in scripts[0]
    assert re.search(r"</script", scripts[0], re.I) is None
    markup = page.replace(scripts[0], "")
    assert not re.search(r"""\s(?:src|href|action|srcset|poster|data)\s*=""", markup, re.I)
    assert "@import" not in markup
    assert "url(" not in markup
    # Its policy allows that one script and that one style, by hash, and reads anywhere only
    # by fetch (the address the person types).
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None

    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src 'sha256-{digest(scripts[0])}'" in policy.group(1)
    assert f"style-src 'sha256-{digest(style.group(1))}'" in policy.group(1)
    assert "default-src 'none'" in policy.group(1)
    assert "connect-src http: https:" in policy.group(1)


def test_a_script_that_could_end_its_element_is_escaped_or_refused(monkeypatch, tmp_path):
    script = tmp_path / "verify.js"
    monkeypatch.setattr(build_verifier, "SCRIPT", script)
    script.write_text('const a = "</script><script>alert(1)</SCRIPT>";\r\n')
    page = build().decode()
    inline = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert inline == ['const a = "<\\/script><script>alert(1)<\\/SCRIPT>";\n']
    script.write_text('const a = "<!--";\n')
    with pytest.raises(ValueError, match="<!--"):
        build()


def test_the_lottery_serves_the_same_bytes_as_a_download(client):
    response = client.get("/verifier.html")
    assert response.status_code == 200
    assert response.content == build()
    assert response["Content-Disposition"] == 'attachment; filename="lottery-verifier.html"'
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert not response.cookies
    assert client.head("/verifier.html").status_code == 200
    assert client.post("/verifier.html").status_code == 405


@pytest.fixture
def drawn_day(client, user):
    assert client.login(username="alice", password=PASSWORD)
    with on(D):
        client.post("/play", {"date": str(D), "count": "2"})
    with on(the_day_after(D)):
        lottery_draw(lottery_date=D)
    return D


@pytest.mark.django_db
def test_the_result_page_says_it_runs_the_lotterys_code_and_links_the_file(client, drawn_day):
    day = drawn_day
    body = client.get(f"/results/{day}?min-delay=2^1&commitment={'ab' * 32}").content.decode()
    assert "This check runs the lottery's own code." in body
    assert 'href="/verifier.html"' in body
    assert sha256(build()) in body
    assert "docs/verifying.md" in body
    # No verifier setting comes from the link: the floor is the default, nothing else is set.
    field = re.search(r'<input id="min-delay"[^>]*value="([^"]*)"', body)
    assert field is not None
    assert field.group(1) == "2^27"
    assert "ab" * 32 not in body
