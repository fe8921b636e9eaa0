#!/usr/bin/env python3
"""Turns a bench/results/<time>/ folder of wrk outputs into a markdown table with targets.

Usage: report.py RESULTS_DIR. Also writes RESULTS_DIR/results.json.
"""
import json
import os
import re
import sys

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
SCENARIOS = ["chapter", "outline", "quiz", "submit", "review", "progress", "checkin", "search", "search-cold",
             "chapter-during-logins"]


def parse(path):
    text = open(path).read()
    def latency(percent):
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return round(float(match.group(1)) * UNITS[match.group(2)], 2) if match else None
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    rss = re.search(r"peak_rss_mb: ([\d.]+)", text)
    replays = re.search(r"^replays: (\d+)", text, re.M)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": latency(50), "p90": latency(90), "p99": latency(99),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(g) for g in socket.groups()) if socket else 0,
        "peak_rss_mb": float(rss.group(1)) if rss else None,
        "replays": int(replays.group(1)) if replays else None,
    }


def setup(path):
    values = {}
    if os.path.exists(path):
        for line in open(path):
            key, _, value = line.partition(":")
            values[key.strip()] = float(value)
    return values


def main():
    results = sys.argv[1]
    files = os.listdir(results)
    baseline = {int(m.group(1)): parse(os.path.join(results, f))
                for f in files if (m := re.match(r"baseline-c(\d+)\.txt$", f))}
    outline_baseline = {int(m.group(1)): parse(os.path.join(results, f))
                        for f in files if (m := re.match(r"baseline-outline-c(\d+)\.txt$", f))}
    outline_bytes = None
    for f in files:
        if f.startswith("baseline-outline-"):
            found = re.search(r"body_bytes: (\d+)", open(os.path.join(results, f)).read())
            outline_bytes = int(found.group(1)) if found else None
    data = {"baseline": baseline, "outline_baseline": outline_baseline, "outline_bytes": outline_bytes,
            "databases": {}}
    print("## Baseline: bare actix-web, same 30 KB body\n")
    print("| connections | req/s | p50 ms | p90 ms | p99 ms | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for conns, r in sorted(baseline.items()):
        print(f"| {conns} | {r['rps']:.0f} | {r['p50']} | {r['p90']} | {r['p99']} | {r['peak_rss_mb']} |")
    if outline_baseline:
        print(f"\nThe same bare server with a body of the outline's size ({outline_bytes} bytes):\n")
        print("| connections | req/s | p50 ms | p90 ms | p99 ms |")
        print("|---|---|---|---|---|")
        for conns, r in sorted(outline_baseline.items()):
            print(f"| {conns} | {r['rps']:.0f} | {r['p50']} | {r['p90']} | {r['p99']} |")
    for db in ["sqlite", "postgres"]:
        runs = {}
        for f in files:
            m = re.match(rf"{db}-(.+)-c(\d+)\.txt$", f)
            if m:
                runs[(m.group(1), int(m.group(2)))] = parse(os.path.join(results, f))
        if not runs:
            continue
        info = setup(os.path.join(results, f"{db}-setup.txt"))
        data["databases"][db] = {"setup": info, "runs": {f"{s}-c{c}": r for (s, c), r in runs.items()}}
        print(f"\n## {db}\n")
        print(f"import {info.get('import_ms', 0):.0f} ms, start-up to ready {info.get('startup_ms', 0):.0f} ms, "
              f"idle RSS {info.get('idle_rss_mb', 0)} MB\n")
        print("| scenario | conns | req/s | p50 ms | p90 ms | p99 ms | non-2xx | socket errors | peak RSS MB | vs baseline |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for (scenario, conns), r in sorted(runs.items(), key=lambda kv: (kv[0][1], SCENARIOS.index(kv[0][0]) if kv[0][0] in SCENARIOS else 99)):
            base = baseline.get(conns, {}).get("rps") or baseline.get(50, {}).get("rps") or 0
            ratio = f"{100 * r['rps'] / base:.0f}%" if base else "-"
            print(f"| {scenario} | {conns} | {r['rps']:.0f} | {r['p50']} | {r['p90']} | {r['p99']} | "
                  f"{r['non_2xx']} | {r['socket_errors']} | {r['peak_rss_mb']} | {ratio} |")
        print("\n| target | measured | |")
        print("|---|---|---|")
        base50 = baseline.get(50, {}).get("rps", 0)
        def run(s, c=50):
            return runs.get((s, c), {})
        def row(name, measured, ok):
            print(f"| {name} | {measured} | {'met' if ok else 'MISSED'} |")
        ch = run("chapter")
        if ch and base50:
            row("chapter read ≥ 50% of baseline", f"{100 * ch['rps'] / base50:.0f}%", ch["rps"] >= 0.5 * base50)
            row("chapter read p99 ≤ 10 ms", f"{ch['p99']} ms", (ch["p99"] or 1e9) <= 10)
        outline_base = outline_baseline.get(50, {}).get("rps", 0)
        if run("outline") and outline_base:
            row("outline ≥ 60% of a bare server sending a body of the outline's size",
                f"{100 * run('outline')['rps'] / outline_base:.0f}%", run("outline")["rps"] >= 0.6 * outline_base)
        for s, share in [("outline", 0.6), ("quiz", 0.5)]:
            if run(s) and base50:
                row(f"{s} ≥ {share:.0%} of baseline", f"{100 * run(s)['rps'] / base50:.0f}%", run(s)["rps"] >= share * base50)
        sub = run("submit")
        if sub:
            need = 3000 if db == "postgres" else 1500
            row(f"quiz submit ≥ {need}/s", f"{sub['rps']:.0f}/s", sub["rps"] >= need)
            if db == "postgres":
                row("quiz submit p99 ≤ 30 ms", f"{sub['p99']} ms", (sub["p99"] or 1e9) <= 30)
        for (s, c), r in sorted(runs.items()):
            if s == "submit":
                replays = r["replays"]
                row(f"submit at {c} connections: every request a first submission (replays)",
                    "not counted" if replays is None else str(replays), replays == 0)
        if run("review"):
            # No target yet: the issue asks for the figures (queue reads and answers, half each).
            row("review session (queue + answer), req/s and p99", f"{run('review')['rps']:.0f}/s, p99 {run('review')['p99']} ms", True)
        if db == "postgres":
            for s in ["progress", "checkin"]:
                if run(s):
                    row(f"{s} ≥ 3000/s", f"{run(s)['rps']:.0f}/s", run(s)["rps"] >= 3000)
        if run("search"):
            row("search p99 ≤ 5 ms (10 mixed queries, as the issue's scenario)", f"{run('search')['p99']} ms", (run("search")["p99"] or 1e9) <= 5)
        if run("search-cold"):
            row("search p99 ≤ 5 ms, 20,000 distinct queries (result cache mostly missed)", f"{run('search-cold')['p99']} ms", (run("search-cold")["p99"] or 1e9) <= 5)
        if run("chapter", 500):
            r500 = [r for (s, c), r in runs.items() if c == 500]
            errors = sum(r["non_2xx"] + r["socket_errors"] for r in r500)
            row("500 connections: no errors", str(errors), errors == 0)
            row("500 connections: chapter p99 ≤ 60 ms", f"{run('chapter', 500)['p99']} ms", (run("chapter", 500)["p99"] or 1e9) <= 60)
        peak = max((r["peak_rss_mb"] or 0) for r in runs.values())
        row("peak RSS ≤ 200 MB (1,000 chapters)", f"{peak} MB", peak <= 200)
        row("start-up to ready ≤ 300 ms", f"{info.get('startup_ms', 0):.0f} ms", info.get("startup_ms", 1e9) <= 300)
        non2xx = sum(r["non_2xx"] for r in runs.values())
        row("non-2xx responses: zero", str(non2xx), non2xx == 0)
        during = run("chapter-during-logins")
        if during:
            row("chapter p99 ≤ 50 ms while 20 connections log in (our bar for \"logins don't hurt reads\")",
                f"{during['p99']} ms", (during["p99"] or 1e9) <= 50)
    sample = os.path.join(results, "sample-chapter-c500.txt")
    if os.path.exists(sample):
        r, info = parse(sample), setup(os.path.join(results, "sample-setup.txt"))
        data["sample"] = {"setup": info, "runs": {"chapter-c500": r}}
        print("\n## sample course (10 chapters, SQLite, zero configuration)\n")
        print(f"start-up to ready {info.get('startup_ms', 0):.0f} ms (first start: migrations and import), "
              f"idle RSS {info.get('idle_rss_mb', 0)} MB\n")
        print("| scenario | conns | req/s | p50 ms | p90 ms | p99 ms | non-2xx | socket errors | peak RSS MB |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(f"| chapter | 500 | {r['rps']:.0f} | {r['p50']} | {r['p90']} | {r['p99']} | {r['non_2xx']} | "
              f"{r['socket_errors']} | {r['peak_rss_mb']} |")
        print("\n| target | measured | |\n|---|---|---|")
        peak = r["peak_rss_mb"] or 1e9
        print(f"| peak RSS ≤ 64 MB (sample course, 500 connections) | {r['peak_rss_mb']} MB | {'met' if peak <= 64 else 'MISSED'} |")
        errors = r["non_2xx"] + r["socket_errors"]
        print(f"| no errors | {errors} | {'met' if errors == 0 else 'MISSED'} |")
    json.dump(data, open(os.path.join(results, "results.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
