"""Case KPI benchmark: a year of 数字城管 cases, then the KPI table and the case board.

    .venv/bin/python -m bench.cases [--count 20000] [--full] [--skip-pg] [--pg-url URL]

For SQLite and then PostgreSQL (a throwaway cluster, or a fresh database on `--pg-url`;
`--skip-pg` for SQLite only): migrate a fresh database, bulk-insert `--count` cases spread
over the last 365 days in two districts (four units, mixed outcomes: closed on time or late,
open, reworked, extended, voided, not registered), then time

- the KPI table (`stats.selectors.case_kpis`, grouped by unit) for one month and one district,
  as a commander of the whole city sees it: target ≤ 200 ms;
- the case board's first page (`cases.selectors.list_cases`, the `/cases` API's queries: the
  count, capped at 10,000 as the API caps it, then 20 rows with running clocks first, nearest
  due time first, in the order of the index `case_board_order`), for the open cases (the
  command centre's default) and for all cases: target ≤ 100 ms each.

Each is run `--repeat` times after one warm-up; the median is checked against the target.
`--full` loads the full sizes: 100,000 cases on SQLite and 1,000,000 on PostgreSQL.
Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench import _stack
from bench._stack import Database, table, verdict

MODULE = "bench.cases"
KPI_TARGET_MS = 200.0
BOARD_TARGET_MS = 100.0
PAGE = 20
FULL_SQLITE = 100_000
FULL_PG = 1_000_000


# --- child operations (run with Django set up, in a subprocess) -------------------------


def _seed(*, count: int) -> dict[str, Any]:
    """A test city, a commander and `count` cases over the last year, in bulk."""
    import random  # noqa: PLC0415 - children only
    from datetime import timedelta  # noqa: PLC0415

    from django.db import connection  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415
    from tests.factories.case_rows import case_row, save_cases  # noqa: PLC0415
    from tests.factories.org import make_city, make_officer  # noqa: PLC0415

    from smartduty.cases.models import Category  # noqa: PLC0415
    from smartduty.cases.states import Status  # noqa: PLC0415
    from smartduty.org import services as org  # noqa: PLC0415
    from smartduty.org.states import Role, UnitLevel  # noqa: PLC0415

    rng = random.Random(20261118)
    city = make_city()
    make_officer(city.city_unit, role=Role.COMMAND, username="bench_commander")
    units = [city.unit_a, city.unit_b]
    units += [
        org.create_unit(
            name=f"{d.name}二中队", agency=city.agency, level=UnitLevel.ZHONGDUI, district=d
        )
        for d in (city.district_a, city.district_b)
    ]
    districts = [city.district_a, city.street_a, city.district_b, city.street_b]
    categories = list(Category.objects.exclude(parent=None).filter(workflow="standard")[:8])
    now = timezone.now()
    started = time.monotonic()
    batch: list[Any] = []
    for i in range(count):
        created = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        district = districts[i % 4]
        unit = (units[0], units[2]) if i % 4 < 2 else (units[1], units[3])
        due = created + timedelta(hours=rng.choice((8, 24, 72)))
        roll = rng.random()
        fields: dict[str, Any] = {"handle_due_at": due, "unit": unit[rng.randint(0, 1)]}
        if roll < 0.05:
            fields = {"status": Status.NOT_A_CASE}
        elif roll < 0.08:
            fields = {"status": Status.DUPLICATE}
        elif roll < 0.10:
            fields["status"] = Status.VOIDED
        elif roll < 0.85 and due < now:
            closed = created + timedelta(hours=rng.uniform(1, 90))
            fields.update(
                status=Status.CLOSED,
                closed_at=min(closed, now),
                overdue=closed > due,
                rework_count=int(rng.random() < 0.03),
                extension_count=int(rng.random() < 0.05),
            )
        else:
            fields["status"] = rng.choice((Status.REGISTERED, Status.DISPATCHED, Status.HANDLED))
        batch.append(
            case_row(
                district=district,
                category=categories[i % len(categories)],
                created_at=created,
                **fields,
            )
        )
        if len(batch) == 5000:
            save_cases(batch)
            batch = []
    save_cases(batch)
    # running clocks for the open ones (the board orders by them)
    from django.db.models import F  # noqa: PLC0415

    from smartduty.cases.models import Case  # noqa: PLC0415

    Case.objects.filter(status__in=(Status.REGISTERED, Status.DISPATCHED, Status.HANDLED)).update(
        step_due_at=F("handle_due_at")
    )
    insert_s = time.monotonic() - started
    with connection.cursor() as cursor:  # planner statistics, as after autovacuum
        cursor.execute("ANALYZE")
    return {"count": Case.objects.count(), "insert_s": insert_s}


def _timed(fn: Any, repeat: int) -> list[float]:
    fn()  # warm-up: connection, caches
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return sorted(out)


def _measure(*, repeat: int) -> dict[str, Any]:
    """Time the KPI table (one month, one district) and the case board's first page."""
    from datetime import timedelta  # noqa: PLC0415

    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from smartduty.cases.selectors import list_cases  # noqa: PLC0415
    from smartduty.kernel.pagination import CappedCountPagination  # noqa: PLC0415
    from smartduty.org.models import District  # noqa: PLC0415
    from smartduty.org.services import principal_for_user  # noqa: PLC0415
    from smartduty.stats.selectors import case_kpis  # noqa: PLC0415

    principal = principal_for_user(get_user_model().objects.get(username="bench_commander"))
    district = District.objects.get(code="990001")
    end = timezone.localdate().replace(day=1) - timedelta(days=1)  # last full month
    start = end.replace(day=1)
    result: dict[str, Any] = {}

    def kpi() -> None:
        result["kpi"] = case_kpis(
            principal=principal,
            date_from=start,
            date_to=end,
            group_by="unit",
            district_id=district.public_id,
        ).total

    counter = CappedCountPagination()

    def board(*, open_only: bool) -> None:
        # as the paginated API does: the (capped) count, then the page
        rows = list_cases(principal=principal, open_only=open_only)
        result["board"] = (counter._items_count(rows), len(list(rows[:PAGE])))

    kpi_ms = _timed(kpi, repeat)
    board_all_ms = _timed(lambda: board(open_only=False), repeat)
    board_ms = _timed(lambda: board(open_only=True), repeat)
    total = result["kpi"]
    return {
        "kpi_ms": kpi_ms,
        "board_ms": board_ms,
        "board_all_ms": board_all_ms,
        "period": f"{start}..{end}",
        "received": total.received,
        "due": total.due,
        "closure_rate": str(total.closure_rate),
        "on_time_rate": str(total.on_time_rate),
        "board_rows": result["board"],
    }


CHILD_OPS = {"seed": _seed, "measure": _measure}


# --- the benchmark ------------------------------------------------------------------------


def run_one(database: Database, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """One database: migrate, seed, measure."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = _stack.base_env(database, workdir / "var")
    count = args.count or (FULL_SQLITE if database.is_sqlite else FULL_PG)
    if not args.full and not args.count:
        count = 20_000
    print(f"\n== {database.label} ({database.note}): {count:,} cases", flush=True)
    _stack.manage(env, "migrate", "--noinput", "-v", "0")
    seeded = _stack.child(MODULE, env, "seed", timeout=3600, count=count)
    print(f"   inserted {seeded['count']:,} cases in {seeded['insert_s']:.1f} s", flush=True)
    measured = _stack.child(MODULE, env, "measure", repeat=args.repeat)
    return {"label": database.label, "count": seeded["count"], **measured}


def report(results: list[dict[str, Any]]) -> bool:
    """Print the figures and the targets; True when every target passed."""
    rows = [["database", "cases", "query", "median ms", "max ms", "target ms", "result"]]
    passed = True
    for r in results:
        for name, key, target in (
            ("KPI table, 1 month × 1 district", "kpi_ms", KPI_TARGET_MS),
            (
                f"case board, first {PAGE} (open cases: the screen's default)",
                "board_ms",
                BOARD_TARGET_MS,
            ),
            (
                f"case board, first {PAGE} (all cases, count capped)",
                "board_all_ms",
                BOARD_TARGET_MS,
            ),
        ):
            median = statistics.median(r[key])
            ok = median <= target
            passed &= ok
            rows.append(
                [
                    r["label"],
                    f"{r['count']:,}",
                    name,
                    f"{median:.1f}",
                    f"{r[key][-1]:.1f}",
                    f"{target:.0f}",
                    verdict(ok),
                ]
            )
    print()
    print(table(rows))
    for r in results:
        print(
            f"   {r['label']}: period {r['period']}, 受理 {r['received']}, 应结案 {r['due']}, "
            f"结案率 {r['closure_rate']}%, 按期结案率 {r['on_time_rate']}%; "
            f"open board page {r['board_rows'][1]} of {r['board_rows'][0]:,} counted"
        )
    return passed


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        _stack.run_child_op(CHILD_OPS, argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=0, help="cases (default 20000)")
    parser.add_argument(
        "--full", action="store_true", help="100,000 cases on SQLite, 1,000,000 on PostgreSQL"
    )
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per query")
    _stack.add_database_options(parser)
    args = parser.parse_args(argv)
    _stack.print_machine()
    results = _stack.on_each_database(
        args, "smartduty-bench-cases-", lambda database, workdir: [run_one(database, args, workdir)]
    )
    if not results:
        print("nothing measured")
        return 1
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
