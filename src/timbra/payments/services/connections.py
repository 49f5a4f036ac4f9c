"""Connect a gateway account, rotate its webhook signing secrets, set its API key.

Secrets are stored only encrypted by the vault (AES-GCM) with associated data bound to the
org, the connection and the field, so a blob copied to another row or column fails to
decrypt. The public webhook token is what routes an event to its org; it is not a secret
that authenticates anything (the signature does), so it may appear in logs and URLs.
"""

from __future__ import annotations

import hashlib
import json
import secrets as pysecrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from timbra import jobs
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.csds import vault
from timbra.orgs.models import Org
from timbra.payments.models import GatewayConnection, WebhookEvent

STRIPE = "stripe"
MAX_SIGNING_SECRETS = 5


def connect_stripe(
    org: Org, *, signing_secret: str, api_key: str | None = None, livemode: bool, as_of: datetime
) -> GatewayConnection:
    """Connect `org`'s Stripe account (test or live). Connecting again with another signing
    secret adds it (both stay valid until the old one is removed: rotation)."""
    secret = _clean_signing_secret(signing_secret)
    with transaction.atomic():
        connection, created = GatewayConnection.objects.get_or_create(
            org=org,
            provider=STRIPE,
            livemode=livemode,
            defaults={"webhook_token": pysecrets.token_urlsafe(24), "created_at": as_of, "updated_at": as_of},
        )
        if secret not in signing_secrets(connection):
            _store_secrets(connection, [*signing_secrets(connection), secret], as_of=as_of)
        if api_key:
            _store_api_key(connection, api_key, as_of=as_of)
        connection.status = GatewayConnection.ACTIVE
        connection.save()
    return connection


def add_signing_secret(connection: GatewayConnection, secret: str, *, as_of: datetime) -> GatewayConnection:
    """Accept one more signing secret (Stripe's "roll secret" keeps the old one valid for a while)."""
    secret = _clean_signing_secret(secret)
    current = signing_secrets(connection)
    if secret in current:
        return connection
    if len(current) >= MAX_SIGNING_SECRETS:
        raise InvoicingError(
            "too_many_secrets",
            f"Una conexión admite hasta {MAX_SIGNING_SECRETS} secretos de firma; quita uno antiguo primero.",
            field="signing_secret",
        )
    _store_secrets(connection, [*current, secret], as_of=as_of)
    connection.save()
    return connection


def remove_signing_secret(
    connection: GatewayConnection, secret_id: str, *, as_of: datetime
) -> GatewayConnection:
    """Stop accepting the secret whose id (see `signing_secret_hints`) is `secret_id`; the last one stays."""
    current = signing_secrets(connection)
    remaining = [s for s in current if _secret_id(s) != secret_id]
    if len(remaining) == len(current):
        raise InvoicingError("not_found", "No se encontró ese secreto de firma.", field="secret_id")
    if not remaining:
        raise InvoicingError(
            "last_secret",
            "No puedes quitar el único secreto de firma: agrega el nuevo primero.",
            field="secret_id",
        )
    _store_secrets(connection, remaining, as_of=as_of)
    connection.save()
    return connection


def set_api_key(connection: GatewayConnection, api_key: str, *, as_of: datetime) -> GatewayConnection:
    """Store (encrypted) a restricted API key and re-process events that waited for one."""
    _store_api_key(connection, api_key, as_of=as_of)
    with transaction.atomic():
        connection.save()
        waiting = list(
            WebhookEvent.objects.filter(connection=connection, status=WebhookEvent.WAITING).values_list(
                "pk", flat=True
            )
        )
        for event_id in waiting:
            jobs.enqueue_on_commit("payments.process_event", event_id=event_id)
    return connection


def signing_secrets(connection: GatewayConnection) -> list[str]:
    """The connection's signing secrets in clear (only the webhook check should need this)."""
    if not connection.signing_secrets_encrypted:
        return []
    blob = bytes(connection.signing_secrets_encrypted)
    return list(json.loads(vault().decrypt(blob, aad=_aad(connection, "signing_secrets"))))


def api_key(connection: GatewayConnection) -> str | None:
    """The restricted API key in clear, or None."""
    if not connection.api_key_encrypted:
        return None
    return vault().decrypt(bytes(connection.api_key_encrypted), aad=_aad(connection, "api_key")).decode()


def webhook_url(connection: GatewayConnection) -> str:
    """The URL to paste in the gateway's webhook settings."""
    path = reverse(
        "payments:webhook", kwargs={"provider": connection.provider, "token": connection.webhook_token}
    )
    return settings.TIMBRA_BASE_URL.rstrip("/") + path


def find_connection(provider: str, token: str) -> GatewayConnection | None:
    """The active connection a webhook URL points at (None: unknown, disabled or wrong gateway)."""
    # No select_related: the webhook needs only org_id, and this runs on every delivery.
    return GatewayConnection.objects.filter(
        provider=provider, webhook_token=token, status=GatewayConnection.ACTIVE
    ).first()


def _clean_signing_secret(secret: str) -> str:
    secret = (secret or "").strip()
    if not secret.startswith("whsec_") or len(secret) < 20:
        raise InvoicingError(
            "signing_secret_invalid",
            "El secreto de firma del webhook de Stripe empieza con "
            "«whsec_»; cópialo de la configuración del endpoint en Stripe.",
            field="signing_secret",
        )
    return secret


def _store_secrets(connection: GatewayConnection, values: list[str], *, as_of: datetime) -> None:
    known = {h["id"]: h for h in connection.signing_secret_hints}
    connection.signing_secrets_encrypted = vault().encrypt(
        json.dumps(values).encode(), aad=_aad(connection, "signing_secrets")
    )
    connection.signing_secret_hints = [
        known.get(_secret_id(s))
        or {"id": _secret_id(s), "hint": f"whsec_…{s[-4:]}", "added_at": as_of.isoformat()}
        for s in values
    ]
    connection.updated_at = as_of


def _store_api_key(connection: GatewayConnection, key: str, *, as_of: datetime) -> None:
    key = (key or "").strip()
    if not key.startswith(("rk_", "sk_")):
        raise InvoicingError(
            "api_key_invalid",
            "La llave de Stripe empieza con «rk_» (restringida, recomendada) o «sk_».",
            field="api_key",
        )
    if key.startswith("rk_live_" if not connection.livemode else "rk_test_") or key.startswith(
        "sk_live_" if not connection.livemode else "sk_test_"
    ):
        raise InvoicingError(
            "api_key_mode", "La llave es de otro modo (pruebas/real) que la conexión.", field="api_key"
        )
    connection.api_key_encrypted = vault().encrypt(key.encode(), aad=_aad(connection, "api_key"))
    connection.api_key_hint = f"{key[:8]}…{key[-4:]}"
    connection.updated_at = as_of


def _secret_id(secret: str) -> str:
    # A public handle for one secret (to remove it); a hash of a 256-bit secret reveals nothing.
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def _aad(connection: GatewayConnection, field: str) -> bytes:
    return f"gateway:{connection.org_id}:{connection.pk}:{field}".encode()
