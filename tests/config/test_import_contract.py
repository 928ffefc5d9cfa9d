"""The layers' import contracts (pyproject.toml, [tool.importlinter]) that `make lint` checks,
and the domain's modules free of HTTP.

Each contract test copies the packages, adds one import that points the wrong way, and runs
the same `lint-imports` against the copy: a contract must be broken, and name the import.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "pages", "draws", "ballots", "accounts", "record", "common")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the virtualenv's own lint-imports
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / "pyproject.toml", copy)
    ignore = shutil.ignore_patterns("__pycache__", "templates", "static", "standalone")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=ignore)
    return copy


def test_the_tree_as_it_is_keeps_the_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import"),
    [
        ("ballots/selectors.py", "import config.settings"),  # an app reaching for the top
        ("common/http.py", "import ballots.models"),  # the bottom importing an app
        ("record/tree.py", "import accounts.models"),  # one sibling importing another
        ("ballots/models.py", "import draws.models"),  # a lower app importing a higher one
        ("draws/selectors.py", "import common.http_cache"),  # the domain rendering answers
        ("accounts/services.py", "import ninja"),  # the domain reaching for the API framework
    ],
)
def test_an_import_pointing_up_breaks_the_contract(
    tree: Path, module: str, wrong_import: str
) -> None:
    path = tree / module
    original = path.read_text()
    path.write_text(f"{original}\n{wrong_import}  # noqa\n")
    try:
        result = lint_imports(tree)
    finally:
        path.write_text(original)
    assert result.returncode == 1, result.stdout + result.stderr
    importer = module.removesuffix(".py").replace("/", ".")
    imported = wrong_import.split()[-1]
    assert f"{importer} -> {imported}" in result.stdout
    assert "1 kept, 1 broken" in result.stdout


DOMAIN_MODULES = sorted(ROOT.glob("*/services.py")) + sorted(ROOT.glob("*/selectors.py"))
# What the HTTP edge alone may know: statuses, header names, paths, the request object.
HTTP_WORDS = re.compile(
    r"\b(200|201|204|304|400|401|403|404|405|409|413|415|422|429|500|503)\b"
    r"|\b(ETag|Retry-After|Cache-Control|Idempotency-Key|If-None-Match|Content-Type|Authorization)\b"
    r"|django\.http|HttpRequest|\b(GET|POST|PUT|PATCH|DELETE|HEAD) /"
    r"|(^|[^a-z_])/(draws|log|lotteries|ballots|results|my|token|health|accounts|login)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("path", DOMAIN_MODULES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_services_and_selectors_say_nothing_of_http(path: Path) -> None:
    found = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if HTTP_WORDS.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_http_words_are_found_where_they_are() -> None:
    api = (ROOT / "ballots" / "api.py").read_text()
    assert HTTP_WORDS.search(api)  # the edge says them: the pattern is not blind
