"""`timbra import payments FILE.csv`: a report of every row (accepted or rejected, with the row
number and a Spanish reason), one PUE invoice per external_id, and a re-run creates nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from timbra.cli import main
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.services.import_csv import FileRejected, read_rows

pytestmark = pytest.mark.django_db

HEADER = "external_id,fecha,monto,moneda,metodo,forma_pago,cliente_id,rfc,razon_social,email,cp,regimen,descripcion,meta_canal"


def _file(tmp_path: Path, customer_id: int) -> Path:
    rows = [
        HEADER,
        "V-1,2026-11-18,1160.00,MXN,transferencia,,,EWE1709045U0,EDGAR WALDO ERDMANN,edgar@example.com,42501,601,"
        "Curso de robótica,mostrador",
        f"V-2,2026-11-19T09:30,\"1,740.00\",,,04,{customer_id},,,,,,Mantenimiento anual,",
        "V-3,2026-11-19,abc,MXN,efectivo,,,,,,,,Venta,",
        ",2026-11-19,100.00,MXN,efectivo,,,,,,,,Venta sin id,",
        "V-5,2026-11-19,100.00,MXN,,,,,,,,,Venta sin forma de pago,",
        "V-6,2026-11-19,200.00,MXN,oxxo,,,,,nadie@example.com,,,Venta sin datos fiscales,",
        "V-1,2026-11-18,1160.00,MXN,transferencia,,,EWE1709045U0,EDGAR WALDO ERDMANN,edgar@example.com,42501,601,"
        "Curso de robótica,mostrador",
        "V-1,2026-11-18,999.00,MXN,transferencia,,,,,,,,Otra cosa,",
    ]
    path = tmp_path / "ventas.csv"
    path.write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _run(path: Path, org, capture, capsys, *extra: str) -> tuple[int, str]:
    """Exit code and stdout+stderr."""
    with capture(execute=True):
        code = main(["import", "payments", str(path), "--org", str(org.pk), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_import_reports_every_row_and_invoices_the_good_ones_once(
    tmp_path, org, customer, django_capture_on_commit_callbacks, capsys
):
    # given
    path, report = _file(tmp_path, customer.pk), tmp_path / "reporte.csv"
    # when
    code, out = _run(path, org, django_capture_on_commit_callbacks, capsys, "--report", str(report))
    # then: two invoices (V-1 created its customer, V-2 used cliente_id), one waiting, four rejected
    assert code == 1
    invoices = {i.source_id: i for i in Invoice.objects.all()}
    assert set(invoices) == {"test:V-1", "test:V-2"}
    assert all(i.metodo_pago == "PUE" and i.status == InvoiceStatus.DELIVERED for i in invoices.values())
    assert invoices["test:V-1"].forma_pago == "03" and invoices["test:V-1"].customer.rfc == "EWE1709045U0"
    assert invoices["test:V-2"].customer_id == customer.pk and invoices["test:V-2"].total == 1740
    assert Payment.objects.get(key="test:V-6").status == Payment.AWAITING_FISCAL_DATA
    rows = {r["fila"]: r for r in csv.DictReader(io.StringIO(report.read_text(encoding="utf-8")))}
    assert [rows[str(n)]["resultado"] for n in range(2, 10)] == [
        "aceptada", "aceptada", "rechazada", "rechazada", "rechazada", "aceptada", "ya importada", "rechazada"]
    assert "monto «abc» no es un número" in rows["4"]["motivo"]
    assert "external_id es obligatoria" in rows["5"]["motivo"]
    assert "forma de pago" in rows["6"]["motivo"]
    assert "Faltan datos fiscales" in rows["7"]["motivo"] and rows["7"]["estado"] == "Esperando datos fiscales"
    assert "ya registró un pago de 1160.00" in rows["9"]["motivo"]
    assert "fila 4 [V-3]: rechazada" in out
    assert "8 filas: 4 aceptadas (3 nuevas, 1 ya importada), 4 rechazadas." in out


def test_reimporting_the_same_file_creates_nothing(tmp_path, org, customer, django_capture_on_commit_callbacks, capsys):
    path = _file(tmp_path, customer.pk)
    _run(path, org, django_capture_on_commit_callbacks, capsys)
    before = (Payment.objects.count(), Invoice.objects.count(), WebhookEvent.objects.count())

    code, out = _run(path, org, django_capture_on_commit_callbacks, capsys)

    assert code == 1 and (Payment.objects.count(), Invoice.objects.count(), WebhookEvent.objects.count()) == before
    assert "8 filas: 4 aceptadas (0 nuevas, 4 ya importadas), 4 rechazadas." in out


def test_metadata_columns_reach_the_inbox_record_of_the_sale(tmp_path, org, customer, django_capture_on_commit_callbacks,
                                                             capsys):
    _run(_file(tmp_path, customer.pk), org, django_capture_on_commit_callbacks, capsys)
    reported = WebhookEvent.objects.get(event_id="test:V-1")
    assert reported.event_type == "payment.reported" and reported.status == WebhookEvent.PROCESSED
    assert '"canal": "mostrador"' in reported.payload and reported.invoice_id is not None


def test_a_live_import_keeps_its_own_keys(tmp_path, org, customer, django_capture_on_commit_callbacks, capsys):
    path = tmp_path / "vivo.csv"
    path.write_text("external_id;fecha;monto;forma_pago;descripcion;email\nV-1;2026-11-19;50.00;01;Venta;x@y.mx\n")
    code, _ = _run(path, org, django_capture_on_commit_callbacks, capsys, "--live")
    assert code == 0 and Payment.objects.get().key == "live:V-1" and Payment.objects.get().livemode is True


def test_an_unknown_column_rejects_the_whole_file(tmp_path, org, django_capture_on_commit_callbacks, capsys):
    path = tmp_path / "malo.csv"
    path.write_text("external_id,fecha,monto,importe\nV-1,2026-11-19,1.00,1.00\n")
    with pytest.raises(FileRejected, match="«importe»"):
        list(read_rows(path.open()))
    code, out = _run(path, org, django_capture_on_commit_callbacks, capsys)
    assert code == 2 and "Archivo rechazado: Columna desconocida: «importe»" in out
    assert Payment.objects.count() == 0
