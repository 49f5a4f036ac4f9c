"""CSV import under hostile files (issue 14 §1): a field over 128 KB rejects its row only, an
Excel (Windows-1252) file is read and its encoding named, and two imports of one file at once
report exactly one "new" per sale created."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.concurrency import race
from tests.factories import NOW, make_org
from timbra import jobs
from timbra.cli import main
from timbra.payments.models import Payment
from timbra.payments.services.import_csv import ACCEPTED, import_payments, read_rows

HEADER = "external_id,fecha,monto,forma_pago,email,descripcion"


def _run(path: Path, org, capture, capsys) -> tuple[int, str]:
    with capture(execute=True):
        code = main(["import", "payments", str(path), "--org", str(org.pk)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.django_db
def test_a_field_over_128_kb_rejects_its_row_and_the_rest_is_imported(tmp_path, org, django_capture_on_commit_callbacks,
                                                                       capsys):
    # given a file whose second row carries a 200 KB description
    path = tmp_path / "ventas.csv"
    path.write_text("\n".join([HEADER, "V-1,2026-11-19,100.00,01,a@b.mx,Venta",
                               "V-2,2026-11-19,100.00,01,a@b.mx," + "x" * 200_000,
                               "V-3,2026-11-19,100.00,01,a@b.mx,Venta"]) + "\n", encoding="utf-8")
    # when
    code, out = _run(path, org, django_capture_on_commit_callbacks, capsys)
    # then
    assert code == 1
    assert "fila 3 [—]: rechazada · La fila no se pudo leer como CSV (field larger than field limit" in out
    assert sorted(Payment.objects.values_list("key", flat=True)) == ["test:V-1", "test:V-3"]


@pytest.mark.django_db
def test_a_windows_1252_file_is_read_and_its_encoding_named(tmp_path, org, django_capture_on_commit_callbacks, capsys):
    # given what Excel in Mexico writes: Windows-1252, accents and ñ
    path = tmp_path / "ventas.csv"
    path.write_bytes(f"{HEADER}\nV-1,2026-11-19,100.00,01,a@b.mx,Consultoría técnica del año\n".encode("cp1252"))
    # when
    code, out = _run(path, org, django_capture_on_commit_callbacks, capsys)
    # then
    assert "Codificación del archivo: Windows-1252." in out
    assert Payment.objects.get().description == "Consultoría técnica del año"


@pytest.mark.django_db
def test_a_utf8_file_says_utf8(tmp_path, org, django_capture_on_commit_callbacks, capsys):
    path = tmp_path / "ventas.csv"
    path.write_text(f"\ufeff{HEADER}\nV-1,2026-11-19,100.00,01,a@b.mx,Niño\n", encoding="utf-8")

    _, out = _run(path, org, django_capture_on_commit_callbacks, capsys)

    assert "Codificación del archivo: UTF-8." in out and Payment.objects.get().description == "Niño"


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_report_exactly_one_new_per_sale(frozen, monkeypatch):
    # given 30 sales, and two imports of the same file racing
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)  # stamping is not what races here
    org = make_org()
    text = HEADER + "\n" + "".join(f"V-{i},2026-11-19,100.00,01,a@b.mx,Venta {i}\n" for i in range(30))

    def run_import():
        return import_payments(org, list(read_rows(io.StringIO(text))), livemode=False, as_of=NOW)

    # when
    reports, errors = race(run_import, run_import)
    # then: every sale created once, and the two reports together say "new" exactly that often
    assert errors == []
    assert Payment.objects.count() == 30
    assert sum(report.count(ACCEPTED) for report in reports) == 30
    assert all(r.outcome != "rechazada" for report in reports for r in report.results)
