"""Simulator speed: seconds per simulated hour (4 sensors, 100 Hz) and speed-up over real time.

Usage: python benchmarks/bench_simulation.py [--hours 2] [--kind day|walk]
The baseline in the same process is a 5-minute walk; the ratio shows how cost scales with length.
"""

from __future__ import annotations

import argparse
import resource
import time

from gait_sim import Scenario, SimConfig, simulate


def run(minutes: float, kind: str) -> tuple[float, int, float]:
    t0 = time.perf_counter()
    sim = simulate(SimConfig(minutes=minutes, seed=1, scenario=Scenario(kind=kind)))
    elapsed = time.perf_counter() - t0
    walking = sim.truth_bouts.query("activity in ['walking', 'turn']")
    return elapsed, len(sim.truth_strides), float((walking["end_s"] - walking["start_s"]).sum() / (minutes * 60))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--kind", choices=("day", "walk"), default="day")
    args = ap.parse_args()
    base, _, _ = run(5.0, "walk")
    base_per_h = base * 12
    print(f"baseline 5 min walk: {base:.2f} s ({base_per_h:.1f} s per simulated hour)")
    elapsed, strides, walking = run(args.hours * 60, args.kind)
    per_h = elapsed / args.hours
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"{args.hours:g} h '{args.kind}': {elapsed:.1f} s, {per_h:.1f} s per simulated hour "
          f"({3600 / per_h:.0f}x real time), {strides} strides, walking {walking:.0%} of the time, "
          f"ratio to baseline per hour {per_h / base_per_h:.2f}, peak RSS {rss_gb:.2f} GB")


if __name__ == "__main__":
    main()
