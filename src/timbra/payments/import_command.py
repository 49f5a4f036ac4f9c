"""The terminal side of `timbra import payments FILE.csv`: progress bar, report, exit code.
The work itself is payments.services.import_csv (the same service as the API)."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TextIO

from django.utils import timezone
from tqdm import tqdm

from timbra.orgs.models import Org
from timbra.payments.services.import_csv import (
    REJECTED,
    FileRejected,
    decode_file,
    import_payments,
    read_rows,
    write_report,
)


def run(path: Path, *, org_id: int | None, livemode: bool, report_path: Path | None,
        out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Import the file; print every row's outcome and a summary (stdout), the progress bar and
    errors (stderr). 0: every row accepted, 1: some rejected, 2: nothing could be imported."""
    out, err = out or sys.stdout, err or sys.stderr
    org = _org(org_id, err)
    if org is None:
        return 2
    try:
        text, encoding = decode_file(path.read_bytes())
        print(f"Codificación del archivo: {encoding}.", file=out)
        rows = list(read_rows(io.StringIO(text, newline="")))
        with tqdm(total=len(rows), unit="fila", desc="Importando", file=err, disable=None) as bar:
            report = import_payments(org, rows, livemode=livemode, as_of=timezone.now(),
                                     on_row=lambda _: bar.update())
    except (OSError, UnicodeDecodeError) as exc:
        print(f"No se pudo leer {path}: {exc}", file=err)
        return 2
    except FileRejected as exc:
        print(f"Archivo rechazado: {exc}", file=err)
        return 2
    mode = "producción" if livemode else "pruebas"
    print(f"Importación en modo {mode} para {org.nombre} (org {org.pk}).", file=out)
    for result in report.results:
        row = result.as_report()
        print(f"fila {row['fila']} [{row['external_id'] or '—'}]: {row['resultado']}"
              + (f" · {row['estado']}" if row["estado"] else "") + (f" · factura {row['factura']}" if row["factura"] else "")
              + (f" · {row['motivo']}" if row["motivo"] else ""), file=out)
    print(report.summary(), file=out)
    if report_path is not None:
        with report_path.open("w", encoding="utf-8", newline="") as stream:
            write_report(report, stream)
        print(f"Reporte por fila en {report_path}.", file=out)
    return 1 if report.count(REJECTED) else 0


def _org(org_id: int | None, err: TextIO) -> Org | None:
    if org_id is not None:
        org = Org.objects.filter(pk=org_id).first()
        if org is None:
            print(f"No existe la organización {org_id}.", file=err)
        return org
    orgs = list(Org.objects.order_by("pk")[:2])
    if len(orgs) != 1:
        print("Indica la organización con --org ID" + (" (hay varias)." if orgs else " (no hay ninguna)."), file=err)
        return None
    return orgs[0]
