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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from timbra import jobs
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.audit import record_change
from timbra.orgs.csds import vault
from timbra.orgs.models import Org
from timbra.payments.models import GatewayConnection, WebhookEvent

STRIPE = "stripe"
CONEKTA = "conekta"
MERCADOPAGO = "mercadopago"
MAX_SIGNING_SECRETS = 5


def connect_stripe(
    org: Org, *, signing_secret: str, api_key: str | None = None, livemode: bool, as_of: datetime
) -> GatewayConnection:
    """Connect `org`'s Stripe account (test or live). Connecting again with another signing
    secret adds it (both stay valid until the old one is removed: rotation)."""
    return _connect(org, STRIPE, [signing_secret], api_key=api_key, livemode=livemode, as_of=as_of)


def connect_conekta(
    org: Org, *, public_keys: list[str], api_key: str | None = None, livemode: bool, as_of: datetime
) -> GatewayConnection:
    """Connect `org`'s Conekta account. `public_keys` are the PEM public keys of its webhook
    keys (`POST /webhook_keys`); each one added stays valid until removed (rotation).
    `api_key` (the private key, `key_…`) lets the reconciler list recent events."""
    if not public_keys:
        raise InvoicingError(
            "signing_secret_invalid", "Agrega la llave pública del webhook de Conekta.", field="public_keys"
        )
    return _connect(org, CONEKTA, public_keys, api_key=api_key, livemode=livemode, as_of=as_of)


def connect_mercadopago(
    org: Org, *, webhook_secret: str, access_token: str | None = None, livemode: bool, as_of: datetime
) -> GatewayConnection:
    """Connect `org`'s Mercado Pago application. `webhook_secret` is the clave secreta of its
    Webhooks settings; `access_token` is needed to read each notified payment (its
    notifications carry only the id), so without it events wait for it."""
    return _connect(org, MERCADOPAGO, [webhook_secret], api_key=access_token, livemode=livemode, as_of=as_of)


def _connect(
    org: Org, provider: str, secrets: list[str], *, api_key: str | None, livemode: bool, as_of: datetime
) -> GatewayConnection:
    """Create (or re-activate) the org's connection to `provider` in that mode, adding the
    secrets it does not have yet (rotation keeps the old ones until removed)."""
    cleaned = [_clean_signing_secret(provider, secret) for secret in secrets]
    with transaction.atomic():
        connection, _ = GatewayConnection.objects.get_or_create(
            org=org,
            provider=provider,
            livemode=livemode,
            defaults={"webhook_token": pysecrets.token_urlsafe(24), "created_at": as_of, "updated_at": as_of},
        )
        current = signing_secrets(connection)
        added = [s for s in dict.fromkeys(cleaned) if s not in current]
        if len(current) + len(added) > MAX_SIGNING_SECRETS:
            raise _too_many()
        if added:
            _store_secrets(connection, [*current, *added], as_of=as_of)
        if api_key:
            _store_api_key(connection, api_key, as_of=as_of)
        connection.status = GatewayConnection.ACTIVE
        connection.save()
    return connection


def public_state(connection: GatewayConnection) -> dict[str, object]:
    """What the audit may keep of a connection: hints only, never a secret (issue 13 §4)."""
    return {"status": connection.status, "signing_hints": [h.get("hint") for h in connection.signing_secret_hints],
            "api_key_hint": connection.api_key_hint, "metadata_keys": dict(connection.metadata_keys or {})}


@contextmanager
def audited(connection: GatewayConnection, kind: str, message: str, *, actor: str, source: str,
            as_of: datetime) -> Iterator[None]:
    """Run a change of `connection` and record its before -> after (hints only) in the same transaction."""
    before = public_state(connection)
    with transaction.atomic():
        yield
        record_change(connection.org, kind, f"{message} ({connection.provider}).", object_type="gateway",
                      object_id=connection.pk, before=before, after=public_state(connection), actor=actor,
                      source=source, as_of=as_of)


def add_signing_secret(connection: GatewayConnection, secret: str, *, as_of: datetime,
                       actor: str = "sistema", source: str = "job") -> GatewayConnection:
    """Accept one more signing secret (Stripe's "roll secret" keeps the old one valid for a
    while; for Conekta, one more webhook public key)."""
    secret = _clean_signing_secret(connection.provider, secret)
    current = signing_secrets(connection)
    if secret in current:
        return connection
    if len(current) >= MAX_SIGNING_SECRETS:
        raise _too_many()
    with audited(connection, "gateway_secret_added", "Secreto de firma agregado", actor=actor, source=source,
                 as_of=as_of):
        _store_secrets(connection, [*current, secret], as_of=as_of)
        connection.save()
    return connection


def remove_signing_secret(
    connection: GatewayConnection, secret_id: str, *, as_of: datetime, actor: str = "sistema", source: str = "job"
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
    with audited(connection, "gateway_secret_removed", "Secreto de firma quitado", actor=actor, source=source,
                 as_of=as_of):
        _store_secrets(connection, remaining, as_of=as_of)
        connection.save()
    return connection


def set_api_key(connection: GatewayConnection, api_key: str, *, as_of: datetime,
                actor: str = "sistema", source: str = "job") -> GatewayConnection:
    """Store (encrypted) a restricted API key and re-process events that waited for one."""
    with audited(connection, "gateway_api_key_set", "Llave de API de la pasarela guardada", actor=actor,
                 source=source, as_of=as_of):
        _store_api_key(connection, api_key, as_of=as_of)
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


def _too_many() -> InvoicingError:
    return InvoicingError(
        "too_many_secrets",
        f"Una conexión admite hasta {MAX_SIGNING_SECRETS} secretos de firma; quita uno antiguo primero.",
        field="signing_secret",
    )


def _clean_signing_secret(provider: str, secret: str) -> str:
    if provider == CONEKTA:
        return _clean_public_key(secret)
    secret = (secret or "").strip()
    if provider == MERCADOPAGO:
        if len(secret) < 16 or any(c.isspace() for c in secret):
            raise InvoicingError(
                "signing_secret_invalid",
                "La clave secreta de Mercado Pago se copia de Tus integraciones → Webhooks "
                "(«Clave secreta»).",
                field="webhook_secret",
            )
        return secret
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
        or {"id": _secret_id(s), "hint": _secret_hint(connection.provider, s), "added_at": as_of.isoformat()}
        for s in values
    ]
    connection.updated_at = as_of


def _store_api_key(connection: GatewayConnection, key: str, *, as_of: datetime) -> None:
    key = (key or "").strip()
    if connection.provider == CONEKTA:
        _check_conekta_key(key)
    elif connection.provider == MERCADOPAGO:
        _check_mercadopago_token(key, livemode=connection.livemode)
    else:
        _check_stripe_key(key, livemode=connection.livemode)
    connection.api_key_encrypted = vault().encrypt(key.encode(), aad=_aad(connection, "api_key"))
    connection.api_key_hint = f"{key[:8]}…{key[-4:]}"
    connection.updated_at = as_of


def _check_stripe_key(key: str, *, livemode: bool) -> None:
    if not key.startswith(("rk_", "sk_")):
        raise InvoicingError(
            "api_key_invalid",
            "La llave de Stripe empieza con «rk_» (restringida, recomendada) o «sk_».",
            field="api_key",
        )
    if key.startswith("rk_live_" if not livemode else "rk_test_") or key.startswith(
        "sk_live_" if not livemode else "sk_test_"
    ):
        raise _wrong_mode()


def _wrong_mode() -> InvoicingError:
    return InvoicingError("api_key_mode", "La llave es de otro modo (pruebas/real) que la conexión.", field="api_key")


def _check_conekta_key(key: str) -> None:
    # Conekta's private keys start with "key_"; the public ones (for the browser) are not enough.
    if not key.startswith("key_") or len(key) < 12:
        raise InvoicingError(
            "api_key_invalid", "La llave privada de Conekta empieza con «key_».", field="api_key"
        )


def _check_mercadopago_token(token: str, *, livemode: bool) -> None:
    # Production access tokens start with "APP_USR-"; the older test credentials with "TEST-".
    if not token.startswith(("APP_USR-", "TEST-")) or len(token) < 20:
        raise InvoicingError(
            "api_key_invalid",
            "El access token de Mercado Pago empieza con «APP_USR-» (o «TEST-» en pruebas).",
            field="access_token",
        )
    if livemode and token.startswith("TEST-"):
        raise _wrong_mode()


def _clean_public_key(pem: str) -> str:
    from timbra.payments.gateways.conekta import InvalidPublicKey, load_public_key

    pem = (pem or "").replace("\\n", "\n").strip()  # pasted from Conekta's JSON answer, escapes and all
    try:
        load_public_key(pem)
    except InvalidPublicKey:
        raise InvoicingError(
            "signing_secret_invalid",
            "La llave pública del webhook de Conekta es un texto PEM que empieza con "
            "«-----BEGIN PUBLIC KEY-----» (la respuesta de POST /webhook_keys).",
            field="public_keys",
        ) from None
    return pem


def _secret_hint(provider: str, secret: str) -> str:
    if provider == CONEKTA:
        return f"RSA …{hashlib.sha256(secret.encode()).hexdigest()[:8]}"
    if provider == MERCADOPAGO:
        return f"…{secret[-4:]}"
    return f"whsec_…{secret[-4:]}"


def _secret_id(secret: str) -> str:
    # A public handle for one secret (to remove it); a hash of a 256-bit secret reveals nothing.
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def _aad(connection: GatewayConnection, field: str) -> bytes:
    return f"gateway:{connection.org_id}:{connection.pk}:{field}".encode()
