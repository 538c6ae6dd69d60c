"""The rule for tests that need ../shared/datasets (conftest's ``shared_datasets`` fixture), run on a
test folder that has no ../shared beside it, as in a fresh clone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REQUIRE_SHARED


@pytest.fixture
def clone_tests(pytester: pytest.Pytester) -> Path:
    """A tests/ folder with this conftest and one real-data test, whose ../shared does not exist."""
    tests = pytester.mkdir("tests")
    shutil.copy(Path(__file__).with_name("conftest.py"), tests / "conftest.py")
    (tests / "test_real.py").write_text("def test_needs_the_data(ipol_feet):\n    assert ipol_feet.is_dir()\n")
    assert not (pytester.path.parent / "shared").exists()
    return tests


def test_without_shared_the_test_skips_with_a_one_line_reason(pytester, clone_tests, monkeypatch):
    monkeypatch.delenv(REQUIRE_SHARED, raising=False)
    result = pytester.runpytest_inprocess(clone_tests, "-rs", "-p", "no:asyncio")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * needs the real recordings in */shared/datasets (not part of a clone)"])


def test_where_ci_requires_shared_its_absence_fails(pytester, clone_tests, monkeypatch):
    monkeypatch.setenv(REQUIRE_SHARED, "1")
    result = pytester.runpytest_inprocess(clone_tests, "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*{REQUIRE_SHARED}=1 requires them*"])
