"""A request the pre-stamp rules refuse, as the error a caller sees.

The rules name fields as the CFDI does (`conceptos[0].valor_unitario`); callers sent
`lines[0].unit_price`. The error carries the first problem's code and message (the one to fix
first) and, when there are more, every problem in `details`.
"""

from __future__ import annotations

import re

from timbra.domain.taxpayer import Problem
from timbra.invoicing.errors import InvoicingError

_LINE = re.compile(r"^conceptos\[(\d+)\](?:\.(\w+))?")
_LINE_FIELDS = {"valor_unitario": "unit_price", "impuestos": "taxes", "importe": "unit_price"}
_TOP_FIELDS = {"cfdi_relacionados": "related"}


def request_field(field: str) -> str:
    """`conceptos[1].impuestos[0].tasa_o_cuota` -> `lines[1].taxes`; other fields keep their name."""
    match = _LINE.match(field)
    if match is None:
        head = field.split(".")[0].split("[")[0]
        return _TOP_FIELDS.get(head, field)
    index, name = match.groups()
    if name is None:
        return f"lines[{index}]"
    return f"lines[{index}].{_LINE_FIELDS.get(name, name)}"


def _with_line_number(problem: Problem) -> str:
    match = _LINE.match(problem.field)
    if match is None:
        return problem.message
    return f"Partida {int(match.group(1)) + 1}: {problem.message}"


def refusal(problems: list[Problem]) -> InvoicingError:
    first = problems[0]
    details = [
        {"code": p.code, "message": _with_line_number(p), "field": request_field(p.field)} for p in problems
    ]
    return InvoicingError(
        first.code, _with_line_number(first), field=request_field(first.field),
        details=details if len(details) > 1 else None,
    )
