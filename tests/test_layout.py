"""Dependencies point one way along the data path (README "Layout"): checked on every import
statement of the source tree, so a new import against the direction fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: what the capture steps (sensor -> recording -> samples) may use of analysis: its vocabulary
VOCABULARY = {"analysis.columns", "analysis.conventions", "analysis.errors"}
CAPTURE = ("sensors", "ble", "capture", "recording", "samples")
#: capture modules that take the simulator's signals in and give the sensor models' bytes out
SIMULATOR_BRIDGES = {"imu_logger/ble/virtual.py", "imu_logger/recording/simulated.py"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", _modules("analysis"), ids=lambda p: str(p.relative_to(ROOT)))
def test_analysis_depends_on_nothing_of_capture_or_the_simulator(path):
    bad = {n for n in _imports(path) if _top(n) in ("imu_logger", "gait_sim", "bleak", "bumble")}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _modules("gait_sim"), ids=lambda p: str(p.relative_to(ROOT)))
def test_simulator_depends_only_on_the_analysis_conventions(path):
    bad = {n for n in _imports(path) if _top(n) in ("imu_logger", "bleak", "bumble")
           or (_top(n) == "analysis" and n not in VOCABULARY)}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", [p for step in CAPTURE for p in _modules(f"imu_logger/{step}")],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_capture_uses_only_the_vocabulary_of_the_analysis(path):
    bad = {n for n in _imports(path) if (_top(n) == "analysis" and n not in VOCABULARY) or _top(n) == "gait_sim"}
    if str(path.relative_to(ROOT)) in SIMULATOR_BRIDGES:
        bad = {n for n in bad if _top(n) != "gait_sim"}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
