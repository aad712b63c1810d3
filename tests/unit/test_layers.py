"""Import boundaries that import-linter cannot prove on its own.

import-linter forbids only the packages it is told about; this checks that the domain imports
nothing but the standard library, and that our four import roots are this repository's `src/`
packages rather than same-named projects from PyPI (`entrypoints` is one).
"""

import ast
import importlib
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
ROOTS = ("domain", "application", "adapters", "entrypoints")


def _imported_top_level_names(package: str) -> dict[str, set[str]]:
    """Each top-level module name imported anywhere under src/<package>, with the files."""
    found: dict[str, set[str]] = {}
    files = sorted((SRC / package).rglob("*.py"))
    assert files, f"no Python files under src/{package}"
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                # A relative import stays inside the package itself.
                names = [package] if node.level else [node.module or ""]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(path.name)
    return found


def _not_allowed(package: str, allowed: set[str]) -> dict[str, set[str]]:
    return {
        name: files
        for name, files in _imported_top_level_names(package).items()
        if name not in sys.stdlib_module_names and name not in allowed
    }


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    assert _not_allowed("domain", {"domain"}) == {}


def test_the_application_imports_only_the_standard_library_the_domain_and_itself() -> None:
    assert _not_allowed("application", {"domain", "application"}) == {}


def test_the_import_walk_sees_real_imports() -> None:
    imported = _imported_top_level_names("domain")
    assert {"dataclasses", "datetime", "enum", "domain"} <= imported.keys()


@pytest.mark.parametrize("root", ROOTS)
def test_each_import_root_resolves_into_this_repositorys_src(root: str) -> None:
    module = importlib.import_module(root)

    assert module.__file__ is not None, f"{root} is a namespace package, not src/{root}"
    assert Path(module.__file__).resolve() == SRC / root / "__init__.py"
