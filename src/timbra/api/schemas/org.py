"""The org (emisor) the key belongs to, and its CSD status."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from timbra.api.schemas.common import InputSchema


class CsdStatus(Schema):
    no_certificado: str
    rfc: str
    valid_from: datetime
    valid_to: datetime
    days_left: int = Field(description="Días que le quedan de vigencia (negativo si ya venció).")
    status: str = Field(description="valid, expired o not_yet_valid.")
    warning: str | None = Field(description="Aviso en español si vence pronto o ya venció.")


class OrgOut(Schema):
    id: int
    rfc: str
    nombre: str
    regimen_fiscal: str
    lugar_expedicion: str
    timezone: str
    email: str
    brand_color: str
    default_serie: str
    livemode: bool = Field(description="Modo de la API key con la que se consulta.")
    live_enabled: bool = Field(False, description="Modo producción activado (PUT /org/live).")
    csd: CsdStatus | None = Field(description="El CSD activo; null si no hay uno cargado.")


class OrgPatch(InputSchema):
    email: str | None = Field(None, max_length=254)
    brand_color: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$", description="Color #RRGGBB del PDF.")
    default_serie: str | None = Field(None, min_length=1, max_length=25, pattern=r"^[A-Za-z0-9]+$")


class PacSettingsIn(InputSchema):
    name: str = Field(description="sandbox, finkok, sw o diverza.")
    credentials: dict[str, str] = Field(
        default_factory=dict,
        description="finkok: username, password · sw: token · diverza: rfc, id, token. Un valor vacío "
                    "conserva el guardado para el mismo PAC. Se guardan cifradas y nunca se devuelven.")
    base_url: str = Field("", max_length=300, description="URL del servicio del PAC; vacío: la oficial.")
    test_environment: bool = Field(True, description="true: el ambiente de pruebas del PAC (sin validez fiscal).")


class PacCheck(Schema):
    ok: bool
    code: str
    message: str


class PacSettingsOut(Schema):
    name: str
    label: str
    base_url: str
    test_environment: bool
    credential_hints: dict[str, str] = Field(description="Pistas de las credenciales (nunca la contraseña).")
    last_check: PacCheck | None = Field(description="La última «prueba de conexión» con estas credenciales.")
    checked_at: datetime | None


class Blocker(Schema):
    code: str
    field: str
    message: str


class LiveOut(Schema):
    live_enabled: bool = Field(description="true: las facturas de producción se timbran con el PAC configurado.")
    live_enabled_at: datetime | None
    blockers: list[Blocker] = Field(description="Lo que falta para activar producción (vacío: nada).")


class LiveIn(InputSchema):
    live: bool = Field(description="true: activar el modo producción; false: desactivarlo.")


class StampMonthOut(Schema):
    month: str = Field(description="AAAA-MM, en la zona horaria del emisor.")
    test: int
    live: int
