"""The gait simulator is physically consistent: its signals reproduce its own truth."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.transform import Rotation

from analysis.columns import ACC, BOUT_COLUMNS, GYR, LOWER_BACK_COLUMNS, MAG, STRIDE_COLUMNS
from analysis.conventions import GRAVITY_MPS2, ankle_angles
from imu_logger.errors import UserError
from gait_sim import BoutSpec, Scenario, SensorErrors, SimConfig, simulate, write_truth
from gait_sim.foot import FootGeometry, build, evaluate
from gait_sim.imu import shin_kinematics
from gait_sim.kinematics import axis_rotation, poly_eval, quaternions_to_matrices, quintic_hermite

FS = 100.0
WALK = SimConfig(minutes=5, seed=3, mounting="random", dtype="float64",
                 scenario=Scenario(kind="walk", curve_probability=1.0)).noise_free()


@pytest.fixture(scope="module")
def walk():
    return simulate(WALK)


@pytest.fixture(scope="module")
def day():
    return simulate(SimConfig(minutes=40, seed=5, scenario=Scenario(fatigue_dorsiflexion_drop_deg=6.0,
                                                                   stiff_side="right")))


def _quat_rate(q: np.ndarray, w: np.ndarray) -> np.ndarray:
    w0, x, y, z = q.T
    a, b, c = w.T
    return 0.5 * np.stack([-x * a - y * b - z * c, w0 * a + y * c - z * b, w0 * b + z * a - x * c,
                           w0 * c + x * b - y * a], axis=1)


def integrate_gyro(q0: np.ndarray, w: np.ndarray, dt: float) -> np.ndarray:
    """RK4 strapdown of body rates w (m, L, 3) from quaternions q0 (m, 4); midpoint rates by 4-point
    interpolation. Returns (m, L, 4)."""
    wp = np.concatenate([2 * w[:, :1] - w[:, 1:2], w, 2 * w[:, -1:] - w[:, -2:-1]], axis=1)
    mid = (-wp[:, :-3] + 9 * wp[:, 1:-2] + 9 * wp[:, 2:-1] - wp[:, 3:]) / 16
    q, out = q0.copy(), [q0]
    for k in range(w.shape[1] - 1):
        k1 = _quat_rate(q, w[:, k])
        k2 = _quat_rate(q + 0.5 * dt * k1, mid[:, k])
        k3 = _quat_rate(q + 0.5 * dt * k2, mid[:, k])
        k4 = _quat_rate(q + dt * k3, w[:, k + 1])
        q = q + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        out.append(q)
    return np.stack(out, axis=1)


def _angle_deg(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    return np.degrees((Rotation.from_quat(q1, scalar_first=True).inv()
                       * Rotation.from_quat(q2, scalar_first=True)).magnitude())


def test_quintic_hermite_meets_its_end_conditions():
    c = quintic_hermite(1.0, -2.0, 3.0, -0.5, 0.7, -4.0, 0.37)
    p, dp, ddp = poly_eval(c, np.array([0.0, 0.37]))
    np.testing.assert_allclose([p, dp, ddp], [[1.0, -0.5], [-2.0, 0.7], [3.0, -4.0]], atol=1e-9)


def test_shin_chain_matches_the_conventions_ankle_rotation():
    rng = np.random.default_rng(0)
    ang = rng.uniform(-30, 30, (50, 3))
    z = np.zeros((50, 3))
    for side in ("left", "right"):
        rot, _, _ = shin_kinematics(np.broadcast_to(np.eye(3), (50, 3, 3)), z, z, ang, z, z, side)
        s = 1.0 if side == "left" else -1.0
        rad = np.radians(ang)
        chain = axis_rotation("z", s * rad[:, 2]) @ axis_rotation("x", -s * rad[:, 1]) @ axis_rotation("y", rad[:, 0])
        np.testing.assert_allclose(rot, chain, atol=1e-12)


def test_at_rest_accelerometer_reads_gravity_and_gyro_zero(walk, day):
    for sim in (walk, simulate(dataclasses.replace(day.config, minutes=20).noise_free())):
        t = sim.time_s
        still = np.zeros(len(t), bool)
        for a in sim.neutral_periods.itertuples():
            still |= (t >= a.start_s + 0.05) & (t <= a.end_s - 0.05)
        sitting = sim.truth_bouts.query("activity == 'sitting_lying'")
        for b in sitting.itertuples():  # the held sitting pose, between the ramps
            still |= (t >= b.start_s + 2.5) & (t <= b.end_s - 2.5)
        assert still.sum() > 1000
        for df in sim.clean_signals.values():
            acc = df[list(ACC)].to_numpy(float)[still]
            np.testing.assert_allclose(np.linalg.norm(acc, axis=1), GRAVITY_MPS2, atol=2e-5)
            np.testing.assert_allclose(df[list(GYR)].to_numpy(float)[still], 0.0, atol=1e-9)
            np.testing.assert_allclose(np.linalg.norm(df[list(MAG)].to_numpy(float)[still], axis=1), 48.0, atol=1e-4)
    assert len(sitting) > 0


def test_gyro_integrates_to_the_true_orientation_over_60_s(walk):
    i0 = int(WALK.scenario.initial_standing_s * FS) - 50
    idx = np.arange(i0, i0 + int(60 * FS) + 1)
    names = list(walk.clean_signals)
    w = np.stack([walk.clean_signals[p][list(GYR)].to_numpy()[idx] for p in names])
    q0 = np.stack([walk.orientations[p][i0] for p in names])
    q = integrate_gyro(q0, w, 1.0 / FS)
    for k, p in enumerate(names):
        err = _angle_deg(q[k], walk.orientations[p][idx])
        assert err.max() < 0.1, p
        assert np.abs(w[k]).max() > 3.0  # it was walking


def _zupt_lengths(sim, side: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Stride lengths by zero-velocity-aided integration between the middles of consecutive foot flats."""
    p = f"{side}_foot"
    df = sim.clean_signals[p]
    acc, gyr, q = df[list(ACC)].to_numpy(), df[list(GYR)].to_numpy(), sim.orientations[p]
    st = sim.truth_strides.query("side == @side")
    flats = sim.stance_phases.query("side == @side")
    f0, f1 = flats["start_s"].to_numpy(), flats["end_s"].to_numpy()
    nxt = np.searchsorted(f0, st["end_s"].to_numpy())
    a = np.round(0.5 * (st["foot_flat_start_s"] + st["foot_flat_end_s"]).to_numpy() * FS).astype(int)
    b = np.round(0.5 * (f0[nxt] + np.minimum(f1[nxt], f0[nxt] + 0.3)) * FS).astype(int)
    n = b - a
    length = n.max() + 1
    idx = np.minimum(a[:, None] + np.arange(length), len(acc) - 1)
    quat = integrate_gyro(q[a], gyr[idx], 1.0 / FS)
    f = Rotation.from_quat(quat.reshape(-1, 4), scalar_first=True).apply(acc[idx].reshape(-1, 3))
    f = f.reshape(len(a), length, 3)
    f[..., 2] -= GRAVITY_MPS2
    v = np.concatenate([np.zeros((len(a), 1, 3)), np.cumsum(0.5 * (f[:, 1:] + f[:, :-1]), axis=1) / FS], axis=1)
    k = np.arange(length)[None, :]
    v -= v[np.arange(len(a)), n][:, None, :] * (k / n[:, None])[..., None]  # zero velocity at both ends
    v[k > n[:, None]] = 0.0
    inside = (k[:, 1:] <= n[:, None])[..., None]
    pos = np.sum(0.5 * (v[:, 1:] + v[:, :-1]) * inside, axis=1) / FS
    return st, np.linalg.norm(pos[:, :2], axis=1)


def test_zupt_integration_of_the_foot_reproduces_every_stride_length(walk):
    walking = walk.truth_bouts.query("activity == 'walking'")["bout_id"]
    errors = []
    for side in ("left", "right"):
        st, length = _zupt_lengths(walk, side)
        keep = st["bout_id"].isin(walking).to_numpy()
        errors.append((length - st["stride_length_m"].to_numpy())[keep])
    err = np.concatenate(errors)
    turning = walk.truth_strides.query("bout_id in @walking")["heading_change_deg"].abs()
    assert len(err) > 150 and turning.max() > 10  # straight and turning strides were checked
    assert np.abs(err).max() < 0.01


def test_ankle_angles_from_true_segment_orientations_equal_the_curves(walk):
    for side in ("left", "right"):
        shin = quaternions_to_matrices(walk.segment_orientations[f"{side}_shin"])
        foot = quaternions_to_matrices(walk.segment_orientations[f"{side}_foot"])
        got = ankle_angles(shin, foot, side)
        want = walk.truth_angles[[f"{side}_dorsiflexion_deg", f"{side}_eversion_deg",
                                  f"{side}_internal_rotation_deg"]].to_numpy()
        np.testing.assert_allclose(got, want, atol=1e-6)
        assert np.ptp(want[:, 0]) > 20


def test_sensor_orientation_is_segment_orientation_times_mounting(walk):
    for p, q in walk.orientations.items():
        seg = Rotation.from_quat(walk.segment_orientations[p][::97], scalar_first=True).as_matrix()
        sensor = Rotation.from_quat(q[::97], scalar_first=True).as_matrix()
        np.testing.assert_allclose(sensor, seg @ walk.mounting[p], atol=1e-9)


def test_plausible_foot_rate_and_tibial_shock_at_normal_speed():
    sim = simulate(SimConfig(minutes=1.5, seed=7, bouts=(BoutSpec("walking", 60.0, speed_mps=1.35),)).noise_free())
    st = sim.truth_strides.iloc[2:-2]
    assert np.allclose(st["speed_mps"], 1.35, rtol=0.08)
    t = sim.time_s
    for side in ("left", "right"):
        gyr = np.linalg.norm(sim.clean_signals[f"{side}_foot"][list(GYR)].to_numpy(float), axis=1)
        for s in st.query("side == @side").itertuples():
            swing = (t >= s.toe_off_s) & (t < s.end_s)
            assert 4.0 <= gyr[swing].max() <= 7.0
    shock = st["peak_tibial_accel_g"]
    assert shock.between(2.0, 5.0).all()
    assert (sim.clean_signals["left_shin"][list(ACC)].abs().to_numpy().max()) < 8 * GRAVITY_MPS2


def test_gait_structure_matches_the_truth(walk):
    st = walk.truth_strides
    assert st["stance_fraction"].between(0.55, 0.65).all()
    np.testing.assert_allclose(st["end_s"] - st["start_s"], st["stride_time_s"])
    for b, g in st.groupby("bout_id"):
        left, right = g.query("side == 'left'"), g.query("side == 'right'")
        # legs half a stride apart: each contact falls in the middle of the other side's stride
        offs = np.mod(right["start_s"].to_numpy()[:, None] - left["start_s"].to_numpy()[None, :],
                      g["stride_time_s"].iloc[0]) / g["stride_time_s"].iloc[0]
        assert np.isclose(offs, 0.5).any(axis=1).all()
    # the foot stands exactly still when flat
    for side in ("left", "right"):
        t = walk.time_s
        flats = walk.stance_phases.query("side == @side")
        inside = np.zeros(len(t), bool)
        for f in flats.itertuples():
            inside |= (t > f.start_s + 0.01) & (t < f.end_s - 0.01)
        np.testing.assert_allclose(walk.clean_signals[f"{side}_foot"][list(GYR)].to_numpy()[inside], 0, atol=1e-12)


def test_heel_and_toe_never_go_below_the_ground(walk):
    geo = FootGeometry.of(WALK.subject)
    t = np.arange(0, WALK.minutes * 60, 0.002)
    for side in ("left", "right"):
        seg = build(walk.periods, side, WALK.subject)
        s = evaluate(seg, seg.index(t), t)
        for point in (geo.heel, geo.toe):
            z = s.ankle[:, 2] + (s.rot @ point)[:, 2]
            assert z.min() > -1e-9
        assert (s.ankle[:, 2] + (s.rot @ geo.toe)[:, 2]).max() > 0.05  # the foot does lift


def test_rockers_have_the_pitch_rate_timing_of_real_feet(walk):
    """On ipol_feet the fastest toes-down rotation comes 30 ms (IQR 20-40) before toe-off and the rate at
    toe-off is 0.70 (IQR 0.61-0.79) of it, still falling. With contact at the first touch (the zero
    crossing of toes_up, TUNE subjects 1-5) the heel lands with zero pitch rate, the fastest slap comes
    57 ms (IQR 38-69) after it, 0.051 of a 1.13 s stride, and the rate leaves zero at 1.22 (IQR 0.83-1.87)
    times its mean slope to the peak. The rockers pivot on the toe / heel exactly."""
    geo = FootGeometry.of(WALK.subject)
    walking = walk.truth_bouts.query("activity == 'walking'")["bout_id"]
    checked = 0
    for side in ("left", "right"):
        seg = build(walk.periods, side, WALK.subject)
        st = walk.truth_strides.query("side == @side and bout_id in @walking")
        for s in st.itertuples():
            t = s.toe_off_s + np.arange(-0.25, 0.0 + 1e-9, 0.0005)
            k = evaluate(seg, seg.index(t), t)
            toes_up = -k.w[:, 1]  # foot pitch rate, toes up positive
            peak = np.argmin(toes_up)
            assert 0.02 <= s.toe_off_s - t[peak] <= 0.04
            assert toes_up[-1] / toes_up[peak] == pytest.approx(0.70, abs=0.01)
            assert -k.a[-1, 1] > 5.0 * -toes_up[peak]  # rate still rising back towards zero, > 5 peak/s
            toe_vel = k.ankle_vel + np.einsum("nij,nj->ni", k.rot, np.cross(k.w, geo.toe))
            np.testing.assert_allclose(toe_vel[t >= s.heel_off_s], 0.0, atol=1e-9)
            t = s.start_s + np.arange(0.0, 0.1, 0.0005)
            k = evaluate(seg, seg.index(t), t)
            slap = -k.w[:, 1]
            peak = np.argmin(slap)
            lag = t[peak] - s.start_s
            assert lag == pytest.approx(0.051 * (s.end_s - s.start_s), abs=0.002)
            assert abs(slap[0]) < 0.01 * abs(slap[peak])  # zero rate at the touch
            assert (-k.a[0, 1]) / (slap[peak] / lag) == pytest.approx(1.22, abs=0.05)
            heel_vel = k.ankle_vel + np.einsum("nij,nj->ni", k.rot, np.cross(k.w, geo.heel))
            np.testing.assert_allclose(heel_vel[t >= s.start_s + WALK.gait.impact_duration_s], 0.0, atol=1e-9)
            # across toe-off and contact the motion is C2: rate and angular acceleration continuous
            for edge in (s.toe_off_s, s.start_s):
                te = np.array([edge - 1e-7, edge + 1e-7])
                e = evaluate(seg, seg.index(te), te)
                np.testing.assert_allclose(e.w[0], e.w[1], atol=1e-4)
                np.testing.assert_allclose(e.a[0], e.a[1], atol=1e-2 * np.abs(e.a[0]).max())
            checked += 1
    assert checked > 150


def test_reproducible_by_seed_and_random_mounting_differs():
    cfg = SimConfig(minutes=0.5, seed=11)
    a, b = simulate(cfg), simulate(cfg)
    for p in a.signals:
        pd.testing.assert_frame_equal(a.signals[p], b.signals[p])
    c = simulate(dataclasses.replace(cfg, seed=12))
    assert not np.array_equal(a.signals["left_foot"].to_numpy(), c.signals["left_foot"].to_numpy()[:len(a.signals["left_foot"])])
    r = simulate(dataclasses.replace(cfg, mounting="random"))
    for p in a.signals:
        assert np.allclose(a.mounting[p], np.eye(3))
        assert not np.allclose(r.mounting[p], np.eye(3), atol=0.1)
        np.testing.assert_allclose(r.mounting[p] @ r.mounting[p].T, np.eye(3), atol=1e-12)
        np.testing.assert_array_equal(r.segment_orientations[p], a.segment_orientations[p])
        assert not np.allclose(r.clean_signals[p][list(ACC)], a.clean_signals[p][list(ACC)], atol=0.5)


def test_sensor_errors_are_applied_to_a_copy():
    err = SensorErrors(acc_noise_mps2=0.05, gyr_noise_radps=0.01, acc_bias_mps2=0.0, gyr_bias_radps=0.02,
                       gyr_bias_drift_radps_per_sqrt_s=0.0, acc_range_mps2=20.0, drop_fraction=0.01,
                       clock_offset_max_s=1.0, clock_drift_ppm=50.0)
    sim = simulate(SimConfig(minutes=2, seed=1, errors=err, dtype="float64"))
    for p, df in sim.signals.items():
        clean = sim.clean_signals[p]
        assert len(clean) == len(sim.time_s)
        dropped = 1 - len(df) / len(clean)
        assert 0.003 < dropped < 0.03
        kept = np.round(df["time_s"].to_numpy() * 100).astype(int)
        d_acc = df[list(ACC)].to_numpy() - clean[list(ACC)].to_numpy()[kept]
        inside = np.abs(clean[list(ACC)].to_numpy()[kept]) < 19.0
        assert np.std(d_acc[inside]) == pytest.approx(0.05, rel=0.1)
        assert np.abs(df[list(ACC)].to_numpy()).max() <= 20.0  # saturated
        d_gyr = df[list(GYR)].to_numpy() - clean[list(GYR)].to_numpy()[kept]
        assert np.abs(d_gyr.mean(axis=0)).max() > 1e-3 or np.abs(sim.gyro_bias_radps[p][0]).max() < 1e-3
        np.testing.assert_allclose(d_gyr.mean(axis=0), sim.gyro_bias_radps[p][0], atol=1e-3)
        ts = sim.sensor_time_s[p]
        assert len(ts) == len(df)
        rate = np.polyfit(df["time_s"], ts, 1)[0]
        assert rate != 1.0 and abs(rate - 1) < 3e-4


def test_day_scenario_truth_tables(day, tmp_path):
    bouts = day.truth_bouts
    assert list(bouts.columns) == list(BOUT_COLUMNS)
    assert bouts["start_s"].iloc[0] == 0 and bouts["end_s"].iloc[-1] == pytest.approx(40 * 60)
    np.testing.assert_allclose(bouts["start_s"].to_numpy()[1:], bouts["end_s"].to_numpy()[:-1])
    assert {"standing", "walking", "sitting_lying"} <= set(bouts["activity"])
    assert bouts["activity"].iloc[0] == "standing" and day.neutral_periods["start_s"].iloc[0] == 0
    st = day.truth_strides
    # the lower back's truth columns come with a lower-back sensor (tests/test_lower_back_simulator.py)
    assert set(STRIDE_COLUMNS) - set(LOWER_BACK_COLUMNS) <= set(st.columns)
    assert st.groupby("bout_id").size().sum() == bouts[["n_strides_left", "n_strides_right"]].to_numpy().sum()
    # neutral standing means 0 degrees
    angles = day.truth_angles
    for n in day.neutral_periods.itertuples():
        sel = (angles["time_s"] >= n.start_s) & (angles["time_s"] <= n.end_s)
        assert np.abs(angles.loc[sel].drop(columns="time_s").to_numpy()).max() < 1e-4
    # stiff right ankle, and dorsiflexion fading with fatigue
    steady = st[st["quality"] == ""]
    by_side = steady.groupby("side")["peak_dorsiflexion_deg"].median()
    assert by_side["right"] < 0.6 * by_side["left"]
    left = steady.query("side == 'left'")
    early = left["start_s"] < left["start_s"].median()
    assert left.loc[early, "peak_dorsiflexion_deg"].median() > left.loc[~early, "peak_dorsiflexion_deg"].median()
    assert st["peak_plantarflexion_deg"].lt(0).all() and st["eversion_excursion_deg"].gt(0).all()
    write_truth(day, tmp_path)
    back = pd.read_csv(tmp_path / "truth_strides.csv")
    np.testing.assert_allclose(back["stride_length_m"], st["stride_length_m"])
    assert len(pd.read_csv(tmp_path / "truth_bouts.csv")) == len(bouts)
    assert len(pd.read_parquet(tmp_path / "truth_angles.parquet")) == len(day.time_s)


@pytest.mark.parametrize("change", [dict(mounting="sideways"), dict(minutes=0), dict(placements=("left_hand",)),
                                    dict(bouts=(BoutSpec("running", 10),))])
def test_bad_options_are_user_errors(change):
    with pytest.raises(UserError):
        simulate(dataclasses.replace(SimConfig(minutes=0.2), **change))
