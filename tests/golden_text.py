"""Golden files for PDF text: what varies from run to run is masked, the rest must match exactly.

UUIDs, certificate numbers, sellos (base64), and stamp dates change with each sandbox certificate
and run; the layout, labels and amounts must not. Regenerate on purpose with TIMBRA_REGEN_GOLDEN=1.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
_MASKS = [
    # the sellos and the TFD's cadena wrap over lines at places that change with their content
    (re.compile(r"(Sello digital del CFDI) .*? (Sello digital del SAT) .*? (Cadena original del complemento de "
                r"certificación digital del SAT) \|\|.*?\|\|", re.DOTALL), r"\1 <SELLO> \2 <SELLO> \3 <CADENA>"),
    (re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"), "<UUID>"),
    (re.compile(r"[A-Za-z0-9+/=]{40,}"), "<BASE64>"),
    (re.compile(r"\b\d{20}\b"), "<NO_CERTIFICADO>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"), "<FECHA>"),
]


def masked(text: str) -> str:
    for pattern, token in _MASKS:
        text = pattern.sub(token, text)
    return text


def assert_matches_golden(text: str, name: str) -> None:
    golden = GOLDEN_DIR / name
    text = masked(text)
    if os.environ.get("TIMBRA_REGEN_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"Falta tests/golden/{name}: genérelo con TIMBRA_REGEN_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")
