"""The soak's printed report: latency and outcome tables, the end-to-end figures, memory,
CPU, and the checks that decide PASS or FAIL."""

from __future__ import annotations

import argparse
import math
from collections import Counter
from typing import Any

from bench._soak_sizing import memory_growth, summarize
from bench._stack import percentile, table, verdict


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def _worker_memory(samples: list[tuple[float, int, int]], warm_up: float) -> str:
    """Start/end/max RSS per worker generation, condensed."""
    if not samples:
        return "no samples"
    by_pid: dict[int, list[tuple[float, int]]] = {}
    for t, pid, kib in samples:
        by_pid.setdefault(pid, []).append((t, kib))
    if len(by_pid) == 1:
        m = memory_growth(next(iter(by_pid.values())), warm_after=warm_up)
        return (
            f"start {m['start']:.1f} MiB, after {warm_up:g} s {m['warm']:.1f} MiB, end "
            f"{m['end']:.1f} MiB, max {m['max']:.1f} MiB, growth after warm-up "
            f"{m['growth']:+.1f} MiB"
        )
    lives = [memory_growth(v) for v in by_pid.values()]
    longest = max(by_pid.values(), key=lambda v: v[-1][0] - v[0][0])
    m = memory_growth(longest)
    return (
        f"{len(by_pid)} processes (restarted); max {max(x['max'] for x in lives):.1f} MiB; "
        f"longest-lived: start {m['start']:.1f} → end {m['end']:.1f} MiB "
        f"({m['growth']:+.1f} MiB over {longest[-1][0] - longest[0][0]:.0f} s)"
    )


def checks_of(result: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(check, measured, passed) for one database."""
    audit = result["audit"]
    cases = result["cases"]
    summary = summarize(result["records"])
    requested = len(cases)
    acknowledged = sum(1 for c in cases if c.get("public_id"))
    server_errors = sum(
        n
        for status, n in summary["all"]["statuses"].items()
        if status.isdigit() and int(status) >= 500 and int(status) != 503
    )
    timers_due = audit["timers_due_now"]
    fired = audit["timer_statuses"].get("done", 0)
    push_due = fired  # every fired deadline asks the unit for a re-check
    return [
        (
            "reports created = reports requested",
            f"requested {requested}, acknowledged {acknowledged}, in the database "
            f"{audit['reports']}, keys with two rows {audit['keys_with_two_reports']}",
            audit["reports"] == requested == acknowledged and not audit["keys_with_two_reports"],
        ),
        (
            "SMS sent = SMS due",
            f"due {audit['sms_due']} (owner notified), deliveries {audit['sms_deliveries']}, "
            f"sent {audit['sms_sent']}, at the console provider {audit['sms_in_console']}, "
            f"notified without SMS {audit['notified_without_sms']}",
            audit["sms_due"] == audit["sms_sent"] == audit["sms_in_console"] == requested
            and not audit["notified_without_sms"],
        ),
        (
            "deadlines fired = deadlines due",
            f"due by the end {timers_due}, fired {fired}, overdue still pending "
            f"{audit['timers_overdue_pending']}, failed {audit['timer_statuses'].get('failed', 0)}",
            fired == timers_due and not audit["timers_overdue_pending"],
        ),
        (
            "re-check pushes = fired deadlines",
            f"fired {push_due}, pushes {audit['push_deliveries']}, sent {audit['push_sent']}",
            audit["push_sent"] == audit["push_deliveries"] == push_due,
        ),
        (
            "nothing sent twice",
            f"reports with two SMS {audit['reports_with_two_sms']}, two pushes "
            f"{audit['reports_with_two_push']}, two deadlines {audit['reports_with_two_timers']}, "
            f"deliveries handed to the provider twice {audit['delivered_twice']}, sent without a "
            f"provider message {audit['sent_without_console']}",
            not (
                audit["reports_with_two_sms"]
                or audit["reports_with_two_push"]
                or audit["reports_with_two_timers"]
                or audit["delivered_twice"]
                or audit["sent_without_console"]
            ),
        ),
        (
            "no 5xx (other than 503), no timeouts, no errors logged",
            f"5xx {server_errors}, timeouts {summary['all']['statuses'].get('timeout', 0)}, "
            f"connection errors {summary['all']['statuses'].get('conn_error', 0)}, "
            f"error lines in logs {len(result['log_errors'])}",
            not server_errors
            and not summary["all"]["statuses"].get("timeout")
            and not summary["all"]["statuses"].get("conn_error")
            and not result["log_errors"],
        ),
    ]


def report_one(result: dict[str, Any], args: argparse.Namespace) -> None:
    """Print one database's figures."""
    label = result["database"].label
    summary = summarize(result["records"])
    audit = result["audit"]
    seconds = max(result["load_seconds"], 1e-9)
    print(
        f"\n-- {label}: {summary['all']['n']:,} requests in {seconds:.0f} s "
        f"({summary['all']['n'] / seconds:.1f}/s), {summary['all']['errors']:,} not 2xx; "
        f"drain {result['drain_seconds']:.1f} s; worker SIGKILLed {result['kills']} times"
    )
    statuses = sorted({s for k in summary.values() for s in k["statuses"]})
    rows = [["kind", "requests", *statuses, "p50", "p95", "p99", "max", "gen lag p99"]]
    for kind in [*sorted(k for k in summary if k != "all"), "all"]:
        s = summary[kind]
        rows.append(
            [
                kind,
                f"{s['n']:,}",
                *[str(s["statuses"].get(status, "")) for status in statuses],
                _ms(s["p50"]),
                _ms(s["p95"]),
                _ms(s["p99"]),
                _ms(s["max"]),
                _ms(s["lag_p99"]),
            ]
        )
    print(table(rows))
    print(
        "latency in ms from each request's due time (open loop); columns by HTTP status, "
        "timeout = no answer within "
        f"{args.timeout:g} s; gen lag = how late the generator started a request (its own delay)"
    )
    kinds_of_error = Counter(r["error"] for r in result["records"] if r.get("error"))
    print(
        f"rate limiting / load shedding: 429 × {summary['all']['statuses'].get('429', 0)}, "
        f"503 × {summary['all']['statuses'].get('503', 0)}; connection errors by type "
        f"{dict(kinds_of_error) or '-'}"
    )
    due = {c["key"]: c["due"] for c in result["cases"]}
    to_sms = sorted(
        (at - (result["epoch0"] + due[key])) * 1000
        for key, at in audit["sms_at"].items()
        if key in due
    )
    late = audit["timer_late_ms"]
    print(
        f"upload→SMS at the provider (ms): p50 {_ms(percentile(to_sms, 50))}, p95 "
        f"{_ms(percentile(to_sms, 95))}, p99 {_ms(percentile(to_sms, 99))}, max "
        f"{_ms(percentile(to_sms, 100))}; deadline fired late (ms): p50 "
        f"{_ms(percentile(late, 50))}, p95 {_ms(percentile(late, 95))}, "
        f"max {_ms(percentile(late, 100))}"
    )
    print(
        f"cases: statuses {audit['statuses']}; notices {audit['notices']}; rechecked "
        f"{sum(1 for c in result['cases'] if c.get('rechecked'))}, closed with the notice photo "
        f"{sum(1 for c in result['cases'] if c.get('closed'))}; gave up after retries "
        f"{sum(1 for c in result['cases'] if c.get('gave_up'))}"
    )
    print(
        f"outbox: attempts {audit['attempt_outcomes']}; "
        f"provider log lines {result['provider_lines']}; "
        f"console messages in the database {audit['console_total']}"
    )
    web = result["web_mem"]
    print(
        f"memory (RSS): web (gunicorn master + workers) at the start {web['start']:.1f} MiB, "
        f"after {args.warm_up:g} s {web['warm']:.1f} MiB, end {web['end']:.1f} MiB, max "
        f"{web['max']:.1f} MiB, growth after warm-up {web['growth']:+.1f} MiB "
        f"(worker pids seen {len(result['web_pids'])}); run_worker: "
        f"{_worker_memory(result['worker_samples'], args.warm_up)}"
    )
    print(
        f"CPU during the load: gunicorn {result['cpu']['web']:.0f} s"
        + (f", PostgreSQL {result['cpu']['db']:.0f} s" if result["cpu"]["db"] else "")
        + f" of {seconds:.0f} s wall on {_cpu_count()} CPUs"
    )
    for line in result["log_errors"][:5]:
        print(f"   log: {line[:300]}")
    rows = [["check", "measured", "result"]]
    for check, measured, passed in checks_of(result):
        rows.append([check, measured, verdict(passed)])
    print(table(rows), flush=True)


def _cpu_count() -> int:
    import os  # noqa: PLC0415

    return os.cpu_count() or 1
