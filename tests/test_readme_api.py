"""The README's Python API examples run as written and give the sample recording's true strides."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "recordings" / "sample"


def _api_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.fixture()
def in_sample_copy(tmp_path, monkeypatch):
    """A working directory laid out like the repository's (recordings/sample/walk-1min.mcap)."""
    (tmp_path / "recordings" / "sample").mkdir(parents=True)
    shutil.copy(SAMPLE / "walk-1min.mcap", tmp_path / "recordings" / "sample")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_has_the_two_examples():
    assert len(_api_blocks()) == 2


def test_recording_to_results_example(in_sample_copy):
    ns: dict = {}
    exec(compile(_api_blocks()[0], "README.md", "exec"), ns)
    truth = pd.read_csv(SAMPLE / "walk-1min_truth" / "truth_strides.csv")
    ok = ns["ok"]
    assert len(ok) >= len(truth) - 2  # every true stride but those cut by the sample's gap
    medians = ok.groupby("side")["stride_length_m"].median()
    true_medians = truth.groupby("side")["stride_length_m"].median()
    assert (medians - true_medians).abs().max() < 0.01  # m: the README claims 0.11 % mean error
    peaks = ok.groupby("side")["peak_dorsiflexion_deg"].median()
    true_peaks = truth.groupby("side")["peak_dorsiflexion_deg"].median()
    assert (peaks - true_peaks).abs().max() < 0.5  # deg: per stride within 1.04°, median 0.06°
    for name in ("strides.csv", "bouts.csv", "summary.csv", "angles.parquet", "analysis.json"):
        assert (in_sample_copy / "walk-1min_results" / name).is_file()


def test_pipeline_on_dataframes_example(in_sample_copy):
    ns: dict = {}
    exec(compile(_api_blocks()[1], "README.md", "exec"), ns)
    pipe, data = ns["pipe"], ns["data"]
    assert set(data.samples) == {"left_shin", "left_foot", "right_shin", "right_foot"}
    truth = pd.read_csv(SAMPLE / "walk-1min_truth" / "truth_strides.csv")
    assert abs(len(pipe.strides_) - len(truth)) <= 1
    assert pipe.get_params()["filter"] == "smoothed"
