"""Years of history stay fast (issue 13 §1): seed PostgreSQL, then time the dashboard's pages.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dash_bench python bench/dashboard_scale.py \
        [--invoices 500000] [--payments 200000] [--customers 50000] [--requests 30] [--keep]

Seeds one org (test mode) with COPY, straight from the models' own field definitions (every
column gets its model default unless the bench sets it), then requests through Django's test
client — the full middleware, session and template stack — the home page, the invoice list
(unfiltered, filtered by status, searched by RFC, UUID and folio, a deep page) and a customer's
page. Prints p50/p95 in ms and the queries per request; the goal is p95 <= 300 ms. The database
named in DATABASE_URL is created and, unless --keep, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def _database(url: str, *, drop: bool) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.replace(parsed.path, "/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop:
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django() -> None:
    os.environ.setdefault("TIMBRA_HOME", tempfile.mkdtemp(prefix="timbra-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "timbra.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _copy(model: type, rows: list[dict[str, object]] | object, count: int) -> None:
    """COPY `count` rows of `model`; each row dict overrides the model defaults."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    defaults = {f.attname: f.get_default() for f in fields}
    with connection.cursor() as cursor, cursor.cursor.copy(
            f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for row in rows:  # type: ignore[attr-defined]
            values = {**defaults, **row}
            copy.write_row([f.get_db_prep_save(values[f.attname], connection) for f in fields])
    print(f"  {model.__name__}: {count:,} rows", flush=True)


def seed(n_invoices: int, n_payments: int, n_customers: int, *, as_of: datetime) -> tuple[object, object]:
    from django.contrib.auth.models import User

    from timbra.customers.models import Customer
    from timbra.invoicing.models import Invoice
    from timbra.orgs.models import Membership, Org
    from timbra.payments.models import GatewayConnection, Payment

    rng = random.Random(13)
    org = Org.objects.create(rfc="EKU9003173C9", nombre="ESCUELA KEMPER URGATE", regimen_fiscal="601",
                             lugar_expedicion="42501")
    user = User.objects.create_user("bench", password="contraseña-segura-1")
    Membership.objects.create(user=user, org=org)
    connection = GatewayConnection.objects.create(org=org, provider="stripe", livemode=False,
                                                  created_at=as_of, updated_at=as_of)
    t0 = time.monotonic()
    _copy(Customer, ({"org_id": org.pk, "rfc": f"XAX{i:07d}AB"[:13], "nombre": f"CLIENTE {i:06d} SA DE CV",
                      "regimen_fiscal": "601", "codigo_postal": "42501", "created_at": as_of,
                      "updated_at": as_of} for i in range(n_customers)), n_customers)
    first_customer = Customer.objects.filter(org=org).order_by("pk").values_list("pk", flat=True).first()
    statuses = ["delivered"] * 85 + ["stamped"] * 3 + ["held"] * 4 + ["cancelled"] * 5 + ["draft"] * 3
    span = timedelta(days=3 * 365)

    def invoices():
        for i in range(n_invoices):
            created = as_of - span * (1 - i / n_invoices)
            status = rng.choice(statuses)
            issued = status in ("delivered", "stamped", "cancelled")
            total = Decimal(rng.randrange(10000, 5000000)) / 100
            yield {"org_id": org.pk, "customer_id": first_customer + rng.randrange(n_customers),
                   "status": status, "status_changed_at": created, "created_at": created,
                   "serie": "A", "folio": str(i + 1), "subtotal": total, "total": total,
                   "source": rng.choice(("stripe", "schedule", "")), "source_id": f"s{i}",
                   "hold_code": "regimen_fiscal_invalid" if status == "held" else "",
                   "hold_message": "El régimen fiscal del receptor no coincide." if status == "held" else "",
                   "uuid": str(uuid.UUID(int=rng.getrandbits(128))) if issued else None,
                   "stamped_at": created if issued else None}

    _copy(Invoice, invoices(), n_invoices)
    _copy(Payment, ({"org_id": org.pk, "connection_id": connection.pk, "provider": "stripe", "key": f"pi_{i}",
                     "source_kind": "charge", "currency": "MXN", "amount": Decimal(rng.randrange(10000, 900000)) / 100,
                     "forma_pago": "04", "status": "invoiced",
                     "customer_id": first_customer + rng.randrange(n_customers),
                     "paid_at": as_of - span * (1 - i / n_payments), "created_at": as_of, "updated_at": as_of}
                    for i in range(n_payments)), n_payments)
    from django.db import connection as db

    with db.cursor() as cursor:  # what autovacuum does to a live database (visibility map, statistics)
        cursor.execute("VACUUM ANALYZE")
    print(f"  seeded in {time.monotonic() - t0:.0f} s", flush=True)
    return user, Customer.objects.filter(org=org).order_by("pk")[n_customers // 2]


def _seeded() -> tuple[object, object]:
    from django.contrib.auth.models import User

    from timbra.customers.models import Customer
    from timbra.invoicing.models import Invoice

    customers = Customer.objects.order_by("pk")
    print(f"reusing {Invoice.objects.count():,} invoices, {customers.count():,} customers")
    return User.objects.get(username="bench"), customers[customers.count() // 2]


def measure(user: object, customer: object, requests: int) -> list[tuple[str, float, float, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from timbra.invoicing.models import Invoice

    client = Client()
    client.force_login(user)
    sample = Invoice.objects.filter(uuid__isnull=False).order_by("pk")[1000]
    pages = {
        "Inicio /": "/",
        "facturas (todas)": "/facturas/",
        "facturas ?status=held": "/facturas/?status=held",
        "facturas ?q=RFC": f"/facturas/?q={customer.rfc}",  # type: ignore[attr-defined]
        "facturas ?q=UUID": f"/facturas/?q={sample.uuid}",
        "facturas ?q=folio": f"/facturas/?q={sample.folio}",
        "facturas ?page=200": "/facturas/?page=200",
        "cliente (página)": f"/clientes/{customer.pk}/",  # type: ignore[attr-defined]
    }
    results = []
    for label, url in pages.items():
        assert client.get(url).status_code == 200, url  # warm-up
        times = []
        with CaptureQueriesContext(connection) as queries:
            for _ in range(requests):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, url
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        results.append((label, statistics.median(times), p95, len(queries) // requests))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=500_000)
    parser.add_argument("--payments", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--reuse", action="store_true",
                        help="measure a database seeded by an earlier --keep run (migrations are applied)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must name a PostgreSQL database the bench may create and drop")
    if not args.reuse:
        _database(url, drop=False)
    try:
        _setup_django()
        if args.reuse:
            user, customer = _seeded()
        else:
            as_of = datetime.now(UTC)
            print(f"seeding {args.invoices:,} invoices, {args.payments:,} payments, {args.customers:,} customers")
            user, customer = seed(args.invoices, args.payments, args.customers, as_of=as_of)
        print(f"\n{'page':<24}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}")
        worst = 0.0
        for label, p50, p95, queries in measure(user, customer, args.requests):
            worst = max(worst, p95)
            print(f"{label:<24}{p50:>9.1f}{p95:>9.1f}{queries:>9}")
        print(f"\nworst p95: {worst:.0f} ms (goal <= 300 ms): {'OK' if worst <= 300 else 'OVER'}")
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            _database(url, drop=True)


if __name__ == "__main__":
    main()
