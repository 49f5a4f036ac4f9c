"""Time `render_pdf` on a stamped one-page invoice and on a 60-concepto one.

    python bench/pdf_render.py [N]        (N renders of each, default 200)

Prints median and p95 milliseconds per PDF, wall clock and CPU (process_time: what CI should assert,
reference/reliability.md §4.4), plus pages and size. Budget: ≲ 20 ms for the one-page invoice.
The XML comes from the PDF tests' fixture builder (SAT test CSD, fixed dates), built once.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from PIL import Image  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from satcfdi.models import Signer  # noqa: E402
from tests.unit.pdf.conftest import SAT_DIR, CfdiSpec, build_cfdi, sixty_conceptos  # noqa: E402

from timbra.cfdi.pdf import Branding, render_pdf  # noqa: E402


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(name: str, render: Callable[[], bytes], n: int) -> None:
    for _ in range(5):  # warm-up: imports, font metrics, first QR tables
        pdf = render()
    wall, cpu = [], []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        render()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(
        f"{name:<28} median {statistics.median(wall):6.2f} ms  p95 {p95(wall):6.2f} ms  "
        f"(cpu median {statistics.median(cpu):6.2f} ms, p95 {p95(cpu):6.2f} ms)  "
        f"{pages} page(s), {len(pdf) / 1024:.1f} KiB"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    certs = SAT_DIR / "certs"
    signer = Signer.load(
        certificate=(certs / "EKU9003173C9.cer").read_bytes(),
        key=(certs / "EKU9003173C9.key").read_bytes(),
        password="12345678a",
    )
    one_page, _ = build_cfdi(signer, CfdiSpec())
    sixty, _ = build_cfdi(signer, CfdiSpec(conceptos=sixty_conceptos()))
    logo = io.BytesIO()
    Image.new("RGBA", (600, 200), (31, 78, 121, 255)).save(logo, "PNG")
    branding = Branding(logo=logo.getvalue(), color="#7A1F3D", footer="Gracias por su preferencia.")
    print(f"render_pdf, {n} renders each, python {sys.version.split()[0]}")
    measure("1 page", lambda: render_pdf(one_page), n)
    measure("1 page + logo and colour", lambda: render_pdf(one_page, branding=branding), n)
    measure("60 conceptos", lambda: render_pdf(sixty), n)


if __name__ == "__main__":
    main()
