#!/usr/bin/env python3
"""Turns the BENCH lines of two benchmark runs into a table and results.json.

Usage: bench-report.py RUN1.log RUN2.log OUT.json CONFIG_FILE [COMPARE.json]

The two runs must agree exactly (QEMU -icount makes them repeatable); if they
differ, that is reported and the exit status is 1.
"""
import json
import subprocess
import sys


def bench_lines(path):
    results = []
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if line.startswith("BENCH "):
                results.append(json.loads(line[len("BENCH "):]))
    return results


def git_revision():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    run1, run2, out, config = sys.argv[1:5]
    first, second = bench_lines(run1), bench_lines(run2)
    if not first:
        sys.exit(f"bench-report: no BENCH lines in {run1}")
    repeatable = first == second
    by_name = {r["name"]: r for r in first}

    print(f"{'benchmark':40} {'min':>7} {'median':>7} {'mean':>9} {'max':>7} {'stddev':>7}")
    for r in first:
        if "median" in r:
            print(f"{r['name']:40} {r['min']:7} {r['median']:7} {r['mean']:9.1f} {r['max']:7} {r['stddev']:7.1f}")
    print("(guest instructions, counter-read overhead subtracted)")
    for r in first:
        if "instructions" in r:
            print(f"{r['name']}: {r['instructions']} instructions")

    ratios = {}
    base = by_name.get("call_replyrecv_same_prio_0w")
    for name in ("call_replyrecv_server_higher_0w", "call_replyrecv_same_prio_5w_slowpath"):
        if base and name in by_name and base["median"]:
            ratios[f"{name} / call_replyrecv_same_prio_0w"] = round(by_name[name]["median"] / base["median"], 3)
    for name, value in ratios.items():
        print(f"ratio {name}: {value}")
    print(f"repeatable: {'yes, two runs identical' if repeatable else 'NO: the two runs differ'}")

    with open(config, encoding="utf-8") as f:
        kernel_config = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    doc = {"git_revision": git_revision(), "kernel_config": kernel_config,
           "unit": "guest instructions (QEMU -icount shift=0,sleep=off)",
           "repeatable": repeatable, "results": first, "ratios": ratios}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
    print(f"results: {out}")

    if len(sys.argv) == 6:
        with open(sys.argv[5], encoding="utf-8") as f:
            old = {r["name"]: r for r in json.load(f)["results"]}
        print(f"\nchange against {sys.argv[5]} (median):")
        for r in first:
            key = "median" if "median" in r else "instructions"
            was = old.get(r["name"], {}).get(key)
            if was:
                print(f"  {r['name']:40} {was:9} -> {r[key]:9} ({(r[key] - was) / was:+.1%})")
    return 0 if repeatable else 1


if __name__ == "__main__":
    sys.exit(main())
