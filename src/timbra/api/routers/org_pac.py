"""/org/pac, /org/live, /org/stamps: the org's PAC, the switch to live, stamps used.

The same services as the dashboard's onboarding wizard. Configuring the PAC and switching live
need the «keys» scope, like the CSD: they decide where the org's fiscal documents go.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from timbra.api.auth import admin_key, api_key, caller
from timbra.api.errors import ApiError
from timbra.api.idempotency import idempotent
from timbra.api.routers import ERRORS, WRITE_ERRORS
from timbra.api.schemas.org import (
    Blocker,
    LiveIn,
    LiveOut,
    PacCheck,
    PacSettingsIn,
    PacSettingsOut,
    StampMonthOut,
)
from timbra.orgs.models import Org, OrgPac
from timbra.orgs.onboarding import go_live, go_test_only
from timbra.orgs.pac_settings import PACS, check_pac_connection, save_pac_settings
from timbra.orgs.selectors import live_blockers, stamps_per_month

router = Router(tags=["Organización"])


def pac_out(org: Org) -> PacSettingsOut:
    row = OrgPac.objects.filter(org=org).first()
    if row is None:
        raise ApiError(404, "pac_not_configured", "Todavía no eliges un PAC (PUT /org/pac).")
    check = None if row.check_ok is None else PacCheck(
        ok=row.check_ok, code="ok" if row.check_ok else "failed", message=row.check_message)
    return PacSettingsOut(name=row.name, label=PACS[row.name].label, base_url=row.base_url,
                          test_environment=row.test_environment, credential_hints=row.credential_hints,
                          last_check=check, checked_at=row.checked_at)


@router.get("/org/pac", auth=api_key, response={200: PacSettingsOut, **ERRORS}, summary="Consultar el PAC")
def retrieve_pac(request: HttpRequest) -> PacSettingsOut:
    """El PAC que timbra las facturas de producción, su ambiente y pistas de sus credenciales."""
    return pac_out(caller(request).org)


@router.put("/org/pac", auth=admin_key, response={200: PacSettingsOut, **WRITE_ERRORS}, summary="Configurar el PAC")
@idempotent()
def configure_pac(request: HttpRequest, payload: PacSettingsIn) -> PacSettingsOut:
    """Elige el PAC y guarda sus credenciales cifradas (AES-GCM). Requiere el permiso «keys».
    Las credenciales nunca se devuelven ni se registran."""
    who = caller(request)
    save_pac_settings(who.org, name=payload.name, credentials=payload.credentials, base_url=payload.base_url,
                      test_environment=payload.test_environment, actor=who.actor, as_of=timezone.now())
    return pac_out(who.org)


@router.post("/org/pac/check", auth=admin_key, response={200: PacCheck, **WRITE_ERRORS},
             summary="Probar la conexión con el PAC")
@idempotent(atomic=False)  # waits on the PAC: never inside a transaction; a repeat is harmless
def check_pac(request: HttpRequest) -> PacCheck:
    """Llama al servicio inofensivo del PAC (inicio de sesión, estado de la cuenta) con las
    credenciales guardadas. `ok: false` trae el motivo en español."""
    who = caller(request)
    result = check_pac_connection(who.org, actor=who.actor, as_of=timezone.now())
    return PacCheck(ok=result.ok, code=result.code, message=result.message)


def live_out(org: Org) -> LiveOut:
    org.refresh_from_db(fields=["live_enabled_at"])
    blockers = [] if org.live_enabled_at else live_blockers(org, as_of=timezone.now())
    return LiveOut(live_enabled=org.live_enabled_at is not None, live_enabled_at=org.live_enabled_at,
                   blockers=[Blocker(code=p.code, field=p.field, message=p.message) for p in blockers])


@router.get("/org/live", auth=api_key, response={200: LiveOut, **ERRORS}, summary="Estado del modo producción")
def retrieve_live(request: HttpRequest) -> LiveOut:
    """Si el modo producción está activo y, si no, qué falta para activarlo."""
    return live_out(caller(request).org)


@router.put("/org/live", auth=admin_key, response={200: LiveOut, **WRITE_ERRORS},
            summary="Activar o desactivar el modo producción")
@idempotent(atomic=False)  # go_live tests the PAC connection: no transaction around the network
def switch_live(request: HttpRequest, payload: LiveIn) -> LiveOut:
    """`{"live": true}` activa producción solo con un PAC real (no el de pruebas ni su ambiente de
    pruebas) que acepte las credenciales y un CSD vigente; si no, 422 `live_refused` con el motivo.
    `{"live": false}` lo desactiva: las facturas de producción esperan. Repetirlo no cambia nada."""
    who = caller(request)
    if payload.live:
        go_live(who.org, actor=who.actor, as_of=timezone.now())
    else:
        go_test_only(who.org, actor=who.actor, as_of=timezone.now())
    return live_out(who.org)


@router.get("/org/stamps", auth=api_key, response={200: list[StampMonthOut], **ERRORS},
            summary="Timbres usados por mes")
def stamps(request: HttpRequest, months: int = Query(12, ge=1, le=36)) -> list[StampMonthOut]:  # noqa: B008
    """CFDI timbrados por mes (zona horaria del emisor) y modo, del más reciente al más antiguo."""
    org = caller(request).org
    return [StampMonthOut(month=f"{m.month:%Y-%m}", test=m.test, live=m.live)
            for m in stamps_per_month(org, as_of=timezone.now(), months=months)]
