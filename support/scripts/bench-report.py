#!/usr/bin/env python3
"""Turns the BENCH lines of the benchmark images' runs into a table and results.json.

usage: bench-report.py --logs DIR [--stock-logs DIR] --out OUT.json --config CONFIG_FILE
                       [--build-times FILE] [--compare OLD.json] IMAGE...

Each IMAGE was booted twice, logging to DIR/IMAGE-run1.log and -run2.log.
With --stock-logs, the same images built on the kernel without our patches
were too: the table then shows both medians and the change.
The two runs must agree exactly (QEMU -icount makes them repeatable); if
they differ, that is reported and the exit status is 1. Wall-clock figures
(the harness's `--mark` lines, build times) are reported but not compared.
"""
import argparse
import json
import re
import subprocess
import sys

WALL_MARK = re.compile(r"^run-qemu: wall ms to '(.*)': (\d+)$")
# Lines the serial driver printed for XNU (its user programs' output).
XNU_PREFIX = "xnu: "

# (numerator, denominator) medians whose quotient says what a layer costs.
RATIOS = [
    ("pp_call_0w", "call_replyrecv_server_higher_0w"),
    ("pp_call_4w", "call_replyrecv_server_higher_4w"),
    ("pp_call_64w", "call_replyrecv_server_higher_64w"),
    ("notify_to_notified_higher_prio", "signal_to_bound_recv_higher_prio"),
    ("signal_to_bound_recv_higher_prio", "signal_to_wait_higher_prio"),
    ("call_replyrecv_server_higher_0w", "call_replyrecv_same_prio_0w"),
    ("call_replyrecv_same_prio_5w_slowpath", "call_replyrecv_same_prio_0w"),
    # The XNU personality's traps against the raw fault round trip (target <= 1.3).
    ("xnu_getpid_round_trip", "unknown_syscall_fault_round_trip"),
    ("xnu_getpid_x16_round_trip", "unknown_syscall_fault_round_trip"),
    ("xnu_endpoint_call_echo_512_trap", "xnu_endpoint_call_echo_512"),
]


# ENDPOINT_CALL's target (issue: exclaves part 1): at most this many times
# the raw fault round trip plus the raw 4-word Call+ReplyRecv.
ENDPOINT_CALL_TARGET = 1.5


def endpoint_call_breakdown(by_name):
    """Splits the echo ENDPOINT_CALL round trip (libSystem's fast call) by
    the measured paths that share its prefix; None when a figure is missing."""
    need = ["xnu_endpoint_call_echo_512", "xnu_endpoint_call_refused_not_in_domain", "xnu_message_copy_512_bytes",
            "unknown_syscall_fault_round_trip", "call_replyrecv_server_higher_0w", "call_replyrecv_server_higher_4w"]
    if any(n not in by_name for n in need):
        return None
    m = {n: by_name[n]["median"] for n in need}
    total = m["xnu_endpoint_call_echo_512"]
    parts = {
        # The kernel's share: the task's 3-word Call to XNU and its reply, XNU's call to the service and back.
        "kernel": m["call_replyrecv_server_higher_4w"] + m["call_replyrecv_server_higher_0w"],
        # XNU's fast-call dispatch, the exclaves gate, the caller's entitlements and the route,
        # as a call refused after them pays (less its kernel share).
        "xnu_dispatch": m["xnu_endpoint_call_refused_not_in_domain"] - m["call_replyrecv_server_higher_4w"],
        # XNU's two 512-byte copies, task to page and back.
        "copy": 2 * m["xnu_message_copy_512_bytes"],
    }
    # The rest: the echo exclave's copy in, decode, answer and reply, and its runtime.
    parts["service"] = total - sum(parts.values())
    limit = ENDPOINT_CALL_TARGET * (m["unknown_syscall_fault_round_trip"] + m["call_replyrecv_server_higher_4w"])
    return {"total": total, "parts": parts, "target": round(limit), "met": total <= limit}


def read_log(path):
    """BENCH results and wall-clock marks of one run."""
    results, walls = [], {}
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            line = line.rstrip("\r\n")
            if line.startswith(XNU_PREFIX + "BENCH "):
                line = line[len(XNU_PREFIX):]
            if line.startswith("BENCH "):
                results.append(json.loads(line[len("BENCH "):]))
            elif m := WALL_MARK.match(line):
                walls[m.group(1)] = int(m.group(2))
    return results, walls


# The named-buffer copies' target in bytes per instruction (issue:
# exclaves part 2); other copies are reported without one.
COPY_TARGET_BYTES_PER_INSTRUCTION = 2.0
COPY_TARGET_PREFIX = "xnu_named_buffer_"


def derive(result):
    """Per-descriptor figures of a batched ring benchmark (1 instruction = 1
    ns under -icount shift=0), and bytes per instruction of a copy of
    `bytes`."""
    # A device-bound call reports its median alone, as "instructions".
    cost = result.get("median") or result.get("instructions")
    if result.get("bytes") and cost and not result.get("batch"):
        result["bytes_per_instruction"] = round(result["bytes"] / cost, 3)
        return
    batch = result.get("batch")
    if not batch or not result.get("median"):
        return
    per = result["median"] / batch
    result["instructions_per_descriptor"] = round(per, 1)
    result["descriptors_per_second_equiv"] = round(1e9 / per)
    if result.get("payload_bytes"):
        result["bytes_per_instruction"] = round(result["payload_bytes"] / per, 3)


def read_images(logs, images):
    """Every image's results (from run 1) and wall marks, and the images whose two runs differ."""
    results, walls, differing = [], {}, []
    for image in images:
        first, wall1 = read_log(f"{logs}/{image}-run1.log")
        second, wall2 = read_log(f"{logs}/{image}-run2.log")
        if not first:
            sys.exit(f"bench-report: no BENCH lines in {logs}/{image}-run1.log")
        if first != second:
            differing.append(f"{logs}/{image}")
        for r in first:
            r["image"] = image
            derive(r)
        results += first
        for mark, ms in wall1.items():
            walls[f"{image}: {mark}"] = [ms, wall2.get(mark)]
    return results, walls, differing


def git_revision():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", required=True)
    parser.add_argument("--stock-logs")
    parser.add_argument("--out", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--build-times")
    parser.add_argument("--compare")
    parser.add_argument("images", nargs="+")
    args = parser.parse_args()

    results, walls, differing = read_images(args.logs, args.images)
    stock = {}
    if args.stock_logs:
        stock_results, _, stock_differing = read_images(args.stock_logs, args.images)
        differing += stock_differing
        stock = {r["name"]: r for r in stock_results}
        for r in results:
            was = stock.get(r["name"], {})
            key = "median" if "median" in r else "instructions"
            if key in was:
                r["stock_" + key] = was[key]
    by_name = {r["name"]: r for r in results}

    header = f"{'benchmark':40} {'min':>8} {'median':>8} {'mean':>10} {'max':>8} {'stddev':>7}"
    print(header + (f" {'stock median':>13} {'change':>8}" if stock else ""))
    for r in results:
        if "median" in r:
            line = f"{r['name']:40} {r['min']:8} {r['median']:8} {r['mean']:10.1f} {r['max']:8} {r['stddev']:7.1f}"
            if "stock_median" in r:
                line += f" {r['stock_median']:13} {(r['median'] - r['stock_median']) / r['stock_median']:+8.1%}"
            print(line)
    print("(guest instructions, counter-read overhead subtracted" +
          ("; stock: the same kernel without our patches)" if stock else ")"))
    for r in results:
        if "instructions_per_descriptor" in r:
            line = (f"{r['name']}: {r['instructions_per_descriptor']} instructions per descriptor, "
                    f"{r['descriptors_per_second_equiv']} descriptors/s-equivalent")
            if "bytes_per_instruction" in r:
                line += f", {r['bytes_per_instruction']} bytes per instruction"
            print(line)
    for r in results:
        if "bytes_per_instruction" in r and "instructions_per_descriptor" not in r:
            cost = r.get("median", r.get("instructions"))
            line = f"{r['name']}: {r['bytes']} bytes in {cost} instructions (median), {r['bytes_per_instruction']} bytes per instruction"
            if r["name"].startswith(COPY_TARGET_PREFIX):
                met = "met" if r["bytes_per_instruction"] >= COPY_TARGET_BYTES_PER_INSTRUCTION else "NOT met"
                line += f" (target >= {COPY_TARGET_BYTES_PER_INSTRUCTION}: {met})"
            print(line)
    for r in results:
        if "virtual_ns" in r:
            print(f"{r['name']}: {r['virtual_ns']} ns of virtual time (-icount: one instruction "
                  f"per ns while the core is busy)")
    for r in results:
        if "instructions" in r:
            extra = f" (stock {r['stock_instructions']})" if "stock_instructions" in r else ""
            print(f"{r['name']}: {r['instructions']} instructions{extra}")

    ratios = {}
    for num, den in RATIOS:
        if num in by_name and den in by_name and by_name[den]["median"]:
            ratios[f"{num} / {den}"] = round(by_name[num]["median"] / by_name[den]["median"], 3)
    for name, value in ratios.items():
        print(f"ratio {name}: {value}")

    breakdown = endpoint_call_breakdown(by_name)
    if breakdown:
        split = " + ".join(f"{k} {v}" for k, v in breakdown["parts"].items())
        print(f"xnu_endpoint_call_echo_512: {breakdown['total']} = {split}; target <= {breakdown['target']} "
              f"({ENDPOINT_CALL_TARGET} x (unknown_syscall_fault_round_trip + call_replyrecv_server_higher_4w)): "
              + ("met" if breakdown["met"] else "NOT met"))

    for mark, runs in walls.items():
        print(f"wall clock to '{mark}': {runs[0]} ms, {runs[1]} ms (two runs; not repeatable)")
    build_times = None
    if args.build_times:
        with open(args.build_times, encoding="utf-8") as f:
            build_times = json.load(f)
        for name, seconds in build_times.items():
            print(f"build wall time, {name}: {seconds} s")

    repeatable = not differing
    print("repeatable: " + ("yes, every image's two runs identical" if repeatable
                            else f"NO: the two runs differ for {', '.join(differing)}"))

    with open(args.config, encoding="utf-8") as f:
        kernel_config = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    doc = {"git_revision": git_revision(), "kernel_config": kernel_config,
           "unit": "guest instructions (QEMU -icount shift=0,sleep=off)",
           "repeatable": repeatable, "results": results, "ratios": ratios,
           "endpoint_call_breakdown": breakdown,
           "wall_clock_ms": walls, "build_wall_seconds": build_times}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
    print(f"results: {args.out}")

    if args.compare:
        with open(args.compare, encoding="utf-8") as f:
            old = {r["name"]: r for r in json.load(f)["results"]}
        print(f"\nchange against {args.compare} (median):")
        for r in results:
            key = "median" if "median" in r else "instructions"
            was = old.get(r["name"], {}).get(key)
            if was:
                print(f"  {r['name']:40} {was:9} -> {r[key]:9} ({(r[key] - was) / was:+.1%})")
    return 0 if repeatable else 1


if __name__ == "__main__":
    sys.exit(main())
