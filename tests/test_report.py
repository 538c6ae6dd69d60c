"""`imu-logger report` as a user runs it: sections, the stiffer ankle, numbers, comparison, no network."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from analysis import report_data as rd
from conftest import run_cli
from imu_logger.report.html import SECTIONS


@pytest.fixture(scope="module")
def day(tmp_path_factory, make_results):
    return make_results(tmp_path_factory.mktemp("day"), stiff_side="left", seed=0)


def test_report_has_every_section_and_calls_out_the_stiff_left_ankle(day, tmp_path):
    _, res = day
    out = tmp_path / "report.html"
    r = run_cli("report", res, "--out", out)
    assert r.exit_code == 0, r.output
    html = out.read_text()
    for key, title in SECTIONS:
        assert f'<section id="{key}">' in html and title in html
    callout = re.search(r'id="stiff-callout">([^<]*)<', html).group(1)
    assert "LEFT ankle is stiffer" in callout
    strides = pd.read_csv(res / "strides.csv")
    med = strides.groupby("side")["sagittal_range_deg"].median()
    assert f"{med['left']:.1f}°" in callout and f"{med['right']:.1f}°" in callout
    # self-contained: no external resources of any kind
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    assert "<link" not in html and "@import" not in html
    assert html.count("<svg") >= 8
    # data quality from the recording: the analysis warning in plain words
    assert "may be swapped" in html and "left shin" not in html.split('id="quality"')[0]
    for key in rd.SOURCES:
        assert f"id='ref-{key}'" in html


def test_day_metrics_match_the_strides_and_the_references(day):
    _, res = day
    strides = pd.read_csv(res / "strides.csv")
    table = rd.day_metrics(strides).set_index("metric")
    for side in ("left", "right"):
        part = strides[strides["side"] == side]
        assert table.loc["peak_dorsiflexion_deg", f"{side}_median"] == pytest.approx(
            part["peak_dorsiflexion_deg"].median())
        assert table.loc["cadence_steps_per_min", f"{side}_median"] == pytest.approx(
            (120 / part["stride_time_s"]).median())
    # the stiff left side has less than 10° of dorsiflexion: below the reference
    assert table.loc["peak_dorsiflexion_deg", "left_vs_reference"] == "below"
    asi = table.loc["sagittal_range_deg", "asymmetry_pct"]
    left, right = (table.loc["sagittal_range_deg", f"{s}_median"] for s in ("left", "right"))
    assert asi == pytest.approx(100 * (left - right) / (0.5 * (left + right)))
    assert asi < -rd.ASYMMETRY_THRESHOLD_PCT


def test_hourly_summary_one_row_per_side_and_hour(day):
    _, res = day
    strides = pd.read_csv(res / "strides.csv")
    strides.loc[strides.index[::2], "start_s"] += 3600.0  # spread the strides over two hours
    hourly = rd.summary_table(strides)
    assert sorted(zip(hourly["side"], hourly["hour"])) == [("left", 0), ("left", 1), ("right", 0),
                                                          ("right", 1)]
    row = hourly[(hourly["side"] == "right") & (hourly["hour"] == 1)].iloc[0]
    part = strides[(strides["side"] == "right") & (strides["start_s"] >= 3600)]
    q1, q3 = np.percentile(part["speed_mps"], [25, 75])
    assert row["median_speed_mps"] == pytest.approx(part["speed_mps"].median())
    assert row["iqr_speed_mps"] == pytest.approx(q3 - q1)
    assert row["n_strides"] == len(part)


def test_block_bootstrap_flags_a_real_change_and_not_the_same_day():
    rng = np.random.default_rng(1)
    # strides come in bouts with their own level: correlated within a block of strides
    a = np.repeat(rng.normal(10, 1.0, 12), 20) + rng.normal(0, 0.5, 240)
    same = rd.compare(a, a.copy())
    assert same["exceeds"] is False and same["ci_low"] < 0 < same["ci_high"]
    shifted = rd.compare(a, a + 4.0)
    assert shifted["exceeds"] is True and shifted["difference"] == pytest.approx(4.0)
    assert rd.compare(a[:15], a[:15])["exceeds"] is None  # fewer than two blocks


def test_report_compares_two_sessions(day, tmp_path, make_results):
    _, res_a = day
    _, res_b = make_results(tmp_path / "b", stiff_side=None, seed=1)
    out = tmp_path / "cmp.html"
    r = run_cli("report", res_a, res_b, "--out", out)
    assert r.exit_code == 0, r.output
    html = out.read_text()
    section = html.split('<section id="comparison">')[1].split("</section>")[0]
    row = re.search(r"<tr><td>Sagittal range[^<]*</td><td>left</td>(.*?)</tr>", section).group(1)
    assert "meaningful change" in row  # the left ankle lost its stiffness between the sessions


def test_a_small_real_change_is_never_called_meaningful(day, tmp_path):
    _, res_a = day
    res_b = tmp_path / "later"
    shutil.copytree(res_a, res_b)
    strides = pd.read_csv(res_b / "strides.csv")
    strides["peak_dorsiflexion_deg"] += 0.3  # every stride 0.3° higher: real, but below measurement error
    strides.to_csv(res_b / "strides.csv", index=False)
    out = tmp_path / "cmp.html"
    r = run_cli("report", res_a, res_b, "--out", out)
    assert r.exit_code == 0, r.output
    section = out.read_text().split('<section id="comparison">')[1].split("</section>")[0]
    row = re.search(r"<tr><td>Peak dorsiflexion[^<]*</td><td>left</td>(.*?)</tr>", section).group(1)
    assert "+0.3" in row and "within measurement error (below 2 °)" in row
    assert "<b>meaningful change</b>" not in section  # nothing else changed either


def test_report_errors_name_the_input(tmp_path):
    (tmp_path / "empty").mkdir()
    r = run_cli("report", tmp_path / "empty", "--out", tmp_path / "r.html")
    assert r.exit_code == 2 and "strides.csv: missing" in r.output and "Traceback" not in r.output


def test_no_trend_is_claimed_from_minutes_of_walking(day, tmp_path):
    _, res = day
    out = tmp_path / "r.html"
    assert run_cli("report", res, "--out", out).exit_code == 0
    section = out.read_text().split('<section id="trends">')[1].split("</section>")[0]
    for side in ("Left", "Right"):
        assert f"{side} peak dorsiflexion: too little walking to judge a trend over the day" in section
    assert "fades" not in section and "rises" not in section


def _edited_copy(res_dir, out_dir, **columns):
    shutil.copytree(res_dir, out_dir)
    strides = pd.read_csv(out_dir / "strides.csv")
    right = strides["side"] == "right"
    for column, value in columns.items():
        strides.loc[right, column] = value
    strides.to_csv(out_dir / "strides.csv", index=False)
    return out_dir


def test_impossible_angles_are_never_a_headline(day, tmp_path):
    _, res = day
    bad = _edited_copy(res, tmp_path / "bad", peak_dorsiflexion_deg=44.7, sagittal_range_deg=90.7)
    out = tmp_path / "r.html"
    assert run_cli("report", bad, "--out", out).exit_code == 0
    html = out.read_text()
    verdict = html.split('<section id="verdict">')[1].split("</section>")[0]
    assert "NOT RELIABLE" in verdict and "right peak dorsiflexion in stance 44.7 °" in verdict
    assert "No ankle verdict" in verdict and "stiffer" not in verdict
    table = html.split('<section id="distributions">')[1].split("</section>")[0]
    assert '<span class="implausible">44.7</span>' in table


def test_values_are_graded_by_how_far_outside_the_reference_they_lie(day, tmp_path):
    _, res = day
    edited = _edited_copy(res, tmp_path / "e", stride_length_m=1.51, speed_mps=1.8)
    out = tmp_path / "r.html"
    assert run_cli("report", edited, "--out", out).exit_code == 0
    table = out.read_text().split('<section id="distributions">')[1].split("</section>")[0]
    assert '<span class="near">1.51</span>' in table  # 1 cm above 1.3-1.5 m: not a finding
    assert '<span class="above">1.80</span>' in table  # 0.3 m/s above 1.2-1.5 m/s: past 0.10 m/s
    assert "NOT RELIABLE" not in out.read_text()  # graded, not rejected: the values are possible


def test_knee_to_wall_of_another_subject_is_warned_about(day, tmp_path):
    _, res = day
    k2w = tmp_path / "k2w.mcap"
    r = run_cli("k2w", "--backend", "virtual", "--yes", "--trials", "1", "--subject", "P002", "--out", k2w)
    assert r.exit_code == 0, r.output
    out = tmp_path / "r.html"
    r = run_cli("report", res, "--k2w", k2w, "--out", out)
    assert r.exit_code == 0, r.output
    assert "warning: the knee-to-wall recording k2w.mcap is of subject P002, the day of subject simulated" in r.output
    quality = out.read_text().split('<section id="quality">')[1].split("</section>")[0]
    assert "is of subject P002" in quality
