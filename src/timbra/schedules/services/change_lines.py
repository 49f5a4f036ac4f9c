"""Change a schedule's lines, or its prices and quantities over its plan, from the next cycle on."""

from __future__ import annotations

from datetime import datetime

from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import LineInput
from timbra.schedules.lines import LineOverride, prepare_lines, prepare_overrides
from timbra.schedules.models import Schedule
from timbra.schedules.preview import Estimator
from timbra.schedules.services.changes import (
    current_calendar,
    describe,
    locked,
    require_status,
    save_change,
)


def change_lines_from_next_cycle(
    schedule: Schedule,
    *,
    lines: tuple[LineInput, ...] | None = None,
    overrides: tuple[LineOverride, ...] | None = None,
    actor: str,
    as_of: datetime,
) -> Schedule:
    """From the first cycle due after `as_of`, invoice `lines` (own lines, leaving the plan's) or
    the plan's lines with `overrides` (replacing earlier ones). A cycle already due keeps what
    it had; a later pending change is replaced."""
    if (lines is None) == (overrides is None):
        raise InvoicingError("lines_or_overrides", "Indica las partidas nuevas o los precios especiales "
                             "(uno de los dos).", field="lines")
    with locked(schedule) as row:
        require_status(row, Schedule.DRAFT, Schedule.ACTIVE, Schedule.PAUSED, action="cambiar las partidas de")
        calendar = current_calendar(row)
        index = calendar.first_index_due_after(as_of)
        if lines is not None:
            version = {"from": index, "lines": prepare_lines(row.org, lines, livemode=row.livemode), "overrides": []}
        elif row.plan is None:
            raise InvoicingError("overrides_need_plan", "Los precios especiales solo aplican sobre un plan.",
                                 field="overrides")
        else:
            version = {"from": index, "lines": None,
                       "overrides": prepare_overrides(overrides or (), len(row.plan.lines))}
        row.line_versions = [v for v in row.line_versions if v["from"] < index] + [version]
        occurrence = calendar.at(index)
        preview = Estimator(as_of=as_of).estimate(row, occurrence)
        if preview.error_code:
            raise InvoicingError(preview.error_code, preview.error_message)
        return save_change(
            row, kind="lines_changed", as_of=as_of, actor=actor,
            message=f"{actor} cambió las partidas desde la factura de {describe(occurrence)}: total "
                    f"{preview.total} {preview.moneda}.",
            data={"from_index": index, "total": str(preview.total)},
        )
