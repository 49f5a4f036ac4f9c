"""/org: the key's org (emisor), its settings and its CSD."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from timbra.api.auth import Caller, admin_key, api_key, caller
from timbra.api.errors import ApiError
from timbra.api.idempotency import idempotent
from timbra.api.parser import load_multipart
from timbra.api.routers import ERRORS, WRITE_ERRORS
from timbra.api.schemas.org import CsdStatus, OrgOut, OrgPatch
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.csds import upload_csd
from timbra.orgs.expiry import expiry_warning
from timbra.orgs.models import Csd, Org
from timbra.orgs.services import update_org_settings

router = Router(tags=["Organización"])

# A SAT .cer or .key is ~1–2 KB; anything far bigger is not one.
MAX_CSD_FILE_BYTES = 64 * 1024


def org_out(who: Caller) -> OrgOut:
    org = Org.objects.get(pk=who.org.pk)
    return OrgOut(
        id=org.pk, rfc=org.rfc, nombre=org.nombre, regimen_fiscal=org.regimen_fiscal,
        lugar_expedicion=org.lugar_expedicion, timezone=org.timezone, email=org.email,
        brand_color=org.brand_color, default_serie=org.default_serie, livemode=who.livemode,
        live_enabled=org.live_enabled_at is not None,
        csd=csd_status(org),
    )


def csd_status(org: Org) -> CsdStatus | None:
    csd = Csd.objects.filter(org=org, active=True).select_related("org").order_by("-uploaded_at").first()
    if csd is None:
        return None
    now = timezone.now()
    status = "expired" if now >= csd.valid_to else "not_yet_valid" if now < csd.valid_from else "valid"
    return CsdStatus(
        no_certificado=csd.no_certificado, rfc=csd.rfc, valid_from=csd.valid_from, valid_to=csd.valid_to,
        days_left=(csd.valid_to - now).days, status=status, warning=expiry_warning(csd, as_of=now),
    )


@router.get("/org", auth=api_key, response={200: OrgOut, **ERRORS}, summary="Consultar la organización")
def retrieve(request: HttpRequest) -> OrgOut:
    """Datos fiscales del emisor, su configuración y el estado de su CSD (vigencia y aviso)."""
    return org_out(caller(request))


@router.patch("/org", auth=api_key, response={200: OrgOut, **ERRORS}, summary="Actualizar la configuración")
def update(request: HttpRequest, payload: OrgPatch) -> OrgOut:
    """Correo de contacto, color del PDF y serie por omisión. Los datos fiscales no se cambian por API."""
    who = caller(request)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    _update_settings(who.org, changes)
    return org_out(who)


def _update_settings(org: Org, changes: dict[str, str]) -> None:
    if "email" in changes:
        changes["email"] = changes["email"].strip()
        try:
            validate_email(changes["email"])
        except DjangoValidationError as exc:
            raise InvoicingError("email_invalid", "El correo no es válido.", field="email") from exc
    if not changes:
        return
    # The one writer of these settings (shared with the dashboard); it also opens the new serie.
    update_org_settings(
        org, email=changes.get("email", org.email), brand_color=changes.get("brand_color", org.brand_color),
        default_serie=changes.get("default_serie", org.default_serie).upper(), logo=None, remove_logo=False,
    )


CSD_FORM = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "required": ["cer", "key", "password"],
        "properties": {
            "cer": {"type": "string", "format": "binary", "description": "Certificado .cer del CSD."},
            "key": {"type": "string", "format": "binary", "description": "Llave privada .key del CSD."},
            "password": {"type": "string", "format": "password", "description": "Contraseña de la llave."},
        },
    }}},
}


@router.put("/org/csd", auth=admin_key, response={200: OrgOut, **WRITE_ERRORS}, summary="Cargar el CSD",
            openapi_extra={"requestBody": CSD_FORM})
@idempotent()
def upload(request: HttpRequest) -> OrgOut:
    """Sube el certificado de sello digital (.cer), su llave (.key) y la contraseña de la llave
    (multipart/form-data). Se verifica que sea un CSD (no e.firma) del RFC del emisor, vigente y
    que la llave corresponda. Requiere el permiso «keys». La contraseña nunca se muestra ni se registra."""
    who = caller(request)
    load_multipart(request)
    files = {name: _csd_file(request, name) for name in ("cer", "key")}
    password = request.POST.get("password")
    if not password:
        raise ApiError(422, "validation_error", "Falta el campo obligatorio «password».", field="password")
    upload_csd(who.org, cer=files["cer"], key=files["key"], password=password, as_of=timezone.now(),
               actor=who.actor, source="api")
    return org_out(who)


def _csd_file(request: HttpRequest, name: str) -> bytes:
    upload_file = request.FILES.get(name)
    if upload_file is None:
        raise ApiError(422, "validation_error", f"Falta el archivo obligatorio «{name}».", field=name)
    if upload_file.size is not None and upload_file.size > MAX_CSD_FILE_BYTES:
        raise ApiError(422, "file_too_large", f"El archivo «{name}» es demasiado grande para ser un CSD.",
                       field=name)
    return bytes(upload_file.read())
