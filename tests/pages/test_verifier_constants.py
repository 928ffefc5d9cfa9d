"""The in-browser verifier carries the same constants as the server and verify_draw.py.

The agreement tests (tests/browser/test_verifier_agreement.py) compare answers; these catch
a constant that only a day of another size or delay would expose.
"""

import re
from pathlib import Path

import pytest

from draws import vdf
from scripts import verify_draw

pytestmark = pytest.mark.no_database

SCRIPT = (Path(__file__).resolve().parents[2] / "pages/static/pages/verify.js").read_text()


def test_the_group_is_the_rsa_2048_modulus_of_the_server_and_the_script():
    literal = re.search(r"const N = BigInt\((.*?)\);", SCRIPT, re.S)
    assert literal is not None
    digits = "".join(re.findall(r'"([0-9]+)"', literal.group(1)))
    assert int(digits) == vdf.N == verify_draw.N
    assert len(digits) == 617


def test_the_default_floor_and_the_page_size_are_the_scripts():
    floor = re.search(r"const DEFAULT_MIN_DELAY = 1n << ([0-9]+)n;", SCRIPT)
    assert floor is not None
    assert 1 << int(floor.group(1)) == verify_draw.DEFAULT_MIN_DELAY
    page = re.search(r"const PAGE_LIMIT = ([0-9_]+);", SCRIPT)
    assert page is not None
    assert int(page.group(1).replace("_", "")) == verify_draw.PAGE
    assert f'"{vdf.RULE}"' in SCRIPT


def test_the_public_records_bounds_are_the_scripts():
    for name, script_name in (
        ("ENTRY_PAGE", "ENTRY_PAGE"),
        ("CHECKPOINT_PAGE", "CHECKPOINT_PAGE"),
        ("MAX_LOG_SIZE", "MAX_LOG_SIZE"),
        ("MAX_CLOSE_DELAY", "DEFAULT_MAX_CLOSE_DELAY"),
    ):
        found = re.search(rf"const {name} = ([0-9_]+);", SCRIPT)
        assert found is not None, name
        assert int(found.group(1).replace("_", "")) == getattr(verify_draw, script_name), name
