"""One place that says which level a test belongs to: its directory.

Every test under tests/unit, tests/integration or tests/e2e gets the marker of that name, so
`pytest -m unit` (`make test-unit`), `-m integration` and `-m e2e` pick a level without any
module having to remember to mark itself.
"""

from pathlib import Path

import pytest

LEVELS = ("unit", "integration", "e2e")
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        relative = Path(item.path).resolve().relative_to(TESTS.resolve())
        level = relative.parts[0]
        if level in LEVELS:
            item.add_marker(getattr(pytest.mark, level))
