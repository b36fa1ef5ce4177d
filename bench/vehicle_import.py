"""Benchmark: importing 10,000 vehicles from .xlsx and .csv (target: each well under 60 s).

Runs the real import service against a fresh database (a temp SQLite file by default, or
PostgreSQL with `--pg-url`), first as 10,000 new rows, then the same file again (all updates).
Prints wall time, rows/s, rejected rows and the process's peak memory.

    .venv/bin/python bench/vehicle_import.py [--rows 10000] [--pg-url postgres://...]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0


def _rows(count: int) -> list[tuple[str, str, str]]:
    rng = random.Random(7)
    letters, digits = "ABCDEFGHJKLMNPQRSTUVWXYZ", "0123456789"
    seen: set[str] = set()
    out = []
    while len(out) < count:
        serial = "".join(rng.choices(digits, k=5))
        plate = "鲁" + rng.choice(letters) + serial
        if plate in seen:
            continue
        seen.add(plate)
        out.append((plate, "车主" + str(len(out)), "139" + "".join(rng.choices(digits, k=8))))
    return out


def _csv_bytes(rows: list[tuple[str, str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["车牌号", "车主姓名", "车主电话"])
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def _xlsx_bytes(rows: list[tuple[str, str, str]]) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 - after Django is set up

    book = Workbook(write_only=True)
    sheet = book.create_sheet("车辆")
    sheet.append(["车牌号", "车主姓名", "车主电话"])
    for row in rows:
        sheet.append(list(row))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pg-url", default="")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sd-bench-import-"))
    os.environ["DATABASE_URL"] = args.pg_url or f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["SMARTDUTY_VAR_DIR"] = str(work)
    os.environ["DJANGO_SETTINGS_MODULE"] = "smartduty.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django  # noqa: PLC0415

    django.setup()
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415

    from smartduty.org import services as org  # noqa: PLC0415
    from smartduty.org.states import DistrictLevel  # noqa: PLC0415
    from smartduty.vehicles.models import Vehicle  # noqa: PLC0415
    from smartduty.vehicles.services import imports  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    city = org.create_district(code="990000", name="示范市", level=DistrictLevel.CITY)
    admin = get_user_model().objects.create_superuser("bench", password="bench-pass-123")  # noqa: S106 - throwaway DB
    principal = org.principal_for_user(admin)
    rows = _rows(args.rows)
    engine = "PostgreSQL" if args.pg_url else "SQLite"
    print(
        f"vehicle import benchmark — {args.rows:,} rows, {engine}, target < {TARGET_SECONDS:.0f} s"
    )
    print(
        f"{'file':<6} {'pass':<8} {'seconds':>8} {'rows/s':>9} {'created':>8} {'updated':>8} "
        f"{'rejected':>8}  result"
    )
    ok = True
    for kind, payload in (("csv", _csv_bytes(rows)), ("xlsx", _xlsx_bytes(rows))):
        for label in ("new", "update"):
            upload = SimpleUploadedFile(f"vehicles.{kind}", payload)
            job = imports.start_import(
                principal=principal, actor=admin, district=city, uploaded_file=upload
            )
            started = time.perf_counter()
            job = imports.import_vehicles(job=job)
            seconds = time.perf_counter() - started
            passed = seconds < TARGET_SECONDS and job.rejected_count == 0
            ok &= passed
            print(
                f"{kind:<6} {label:<8} {seconds:>8.2f} {args.rows / seconds:>9,.0f} "
                f"{job.created_count:>8,} {job.updated_count:>8,} {job.rejected_count:>8,}  "
                f"{'PASS' if passed else 'FAIL'}"
            )
        Vehicle.objects.all().delete()  # each file format starts from an empty registry
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak_mb:.0f} MB")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
