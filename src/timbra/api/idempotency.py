"""`Idempotency-Key` on every POST (and PUT): same key + same request → the same response.

Semantics follow Stripe's (reference/reliability.md §1.2), scoped to (org, livemode, key):
- the first request with a key inserts an IdempotencyRecord; the unique constraint, not a
  check-before-insert, is what stops two requests from both running;
- the handler's writes and the stored response commit in ONE transaction, so a crash
  mid-request leaves no half-done work behind a stored response — except for handlers
  marked `atomic=False`, which are idempotent by a business key of their own (POST
  /payments: the key becomes the payment's unique source key), so they run outside the
  record's transaction and a retry after a crash finds the work already done;
- handlers marked `stores_with_work=True` (POST /invoices, the hot path) do their reads
  outside any transaction and call `store_with_work` inside their own short write
  transaction: the record is inserted already answered, together with the work, so a
  request costs one write transaction instead of three (claim, work, answer). On SQLite a
  transaction holds the database-wide write lock, so the hot path keeps it short;
- same key, same request (method, path and body) → the stored status and body again, with
  `Idempotent-Replayed: true`; same key, another request → 422 `idempotency_key_reused`;
  still running → 409 `idempotency_request_in_progress`;
- 4xx outcomes are stored and replayed (the request was understood and answered); a 5xx
  deletes the record so the client can retry with the same key. Validation errors raised
  before the handler runs (ninja) store nothing, like Stripe.
Records are kept, not pruned after 24 h: SAT allows 72 h to stamp, so clients retry late.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Schema
from ninja.responses import NinjaJSONEncoder

from timbra.api.auth import Caller, caller
from timbra.api.errors import JSON, ApiError, error_response, known_error_response
from timbra.api.parser import load_multipart
from timbra.invoicing.models import IdempotencyRecord

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# A request whose record is still "in progress" after this long died: an atomic handler's
# writes rolled back with it, and a self-idempotent one (atomic=False) finds its own work
# again by its business key, so in both cases a retry may take over.
STALE_AFTER = timedelta(minutes=10)

F = TypeVar("F", bound=Callable[..., Any])

IN_PROGRESS = (
    409, "idempotency_request_in_progress",
    "Otra solicitud con la misma Idempotency-Key todavía se está procesando; espera unos segundos y reintenta.",
)


def _in_progress() -> ApiError:
    return ApiError(*IN_PROGRESS, field=HEADER)


class _Superseded(Exception):
    """A later retry took over this record; this attempt must roll back."""


def idempotent(*, redact: tuple[str, ...] = (), atomic: bool = True,
               stores_with_work: bool = False) -> Callable[[F], F]:
    """Make a POST/PUT handler honour `Idempotency-Key`. `redact` names top-level response
    fields that must never be stored (e.g. a freshly minted API key's secret). `atomic=False`
    only for handlers that are idempotent by their own unique business key.
    `stores_with_work=True`: the handler is idempotent by its own business key AND calls
    `store_with_work` inside its write transaction (see the module docstring)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return run(request, lambda: view(request, *args, **kwargs), redact=redact, atomic=atomic,
                       stores_with_work=stores_with_work)

        # ninja reads the signature to build params; resolve string annotations against the
        # view's own module, not this one.
        wrapper.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
        wrapper.idempotent = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def render(result: Any) -> HttpResponse:
    """A handler's return value ((status, Schema) or Schema) as the JSON ninja would send."""
    if isinstance(result, HttpResponse):
        return result
    status, body = result if isinstance(result, tuple) else (200, result)
    data = body.model_dump() if isinstance(body, Schema) else body
    return HttpResponse(json.dumps(data, cls=NinjaJSONEncoder), status=status, content_type=JSON)


def run(request: HttpRequest, call: Callable[[], Any], *, redact: tuple[str, ...] = (),
        atomic: bool = True, stores_with_work: bool = False) -> HttpResponse:
    """Run `call` under the request's Idempotency-Key (or plainly when there is none)."""
    key = request.headers.get(HEADER)
    if key is None:
        # Still one transaction (unless the handler's own services are atomic), so a POST's
        # writes are all-or-nothing and its jobs are queued only once it commits.
        if not atomic or stores_with_work:
            return render(call())
        with transaction.atomic():
            return render(call())
    _check_key(key)
    who = caller(request)
    now = timezone.now()
    if stores_with_work:
        return _run_storing_with_work(who, key, request, call, redact=redact, now=now)
    claimed = _claim(who, key, request, now=now)
    if isinstance(claimed, HttpResponse):
        return claimed
    if not atomic:
        return _execute_outside(claimed, call, redact=redact)
    return _execute(claimed, call, redact=redact)


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ApiError(422, "idempotency_key_invalid",
                       f"La Idempotency-Key debe tener de 1 a {MAX_KEY_LENGTH} caracteres ASCII visibles "
                       "(sugerimos un UUID v4).", field=HEADER)


def fingerprint(request: HttpRequest) -> str:
    """SHA-256 of method, path (with query) and body. JSON bodies are canonicalised, so key
    order and spacing do not matter; multipart bodies are hashed field by field and file by
    file (their boundary is random per client)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method}\n{request.get_full_path()}\n".encode())
    if request.content_type == "multipart/form-data":
        load_multipart(request)
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(f"field:{name}={hashlib.sha256(value.encode()).hexdigest()}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                upload.seek(0)
                digest.update(f"file:{name}={hashlib.sha256(upload.read()).hexdigest()}\n".encode())
                upload.seek(0)
        return digest.hexdigest()
    body = request.body
    try:
        body = json.dumps(json.loads(body, parse_float=str, parse_int=str), sort_keys=True,
                          separators=(",", ":")).encode()
    except ValueError:
        pass  # not JSON: hash the raw bytes
    digest.update(body)
    return digest.hexdigest()


def _claim(who: Caller, key: str, request: HttpRequest, *, now: datetime) -> IdempotencyRecord | HttpResponse:
    """Insert the record (we run the request) or answer from the existing one."""
    digest = fingerprint(request)
    scope = {"org": who.org, "livemode": who.livemode, "key": key}
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                **scope, method=request.method or "", path=request.path[:300], request_sha256=digest, created_at=now
            )
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(**scope).first()
    if existing is None:  # its request failed with a 5xx and released the key just now
        raise _in_progress()
    return _answer_from(existing, digest, now=now)


def _answer_from(existing: IdempotencyRecord, digest: str, *, now: datetime) -> IdempotencyRecord | HttpResponse:
    """The answer a request gets when its key already has a record: the stored response, an
    error, or the record itself when a request that died long ago left it unanswered (this
    one takes it over)."""
    if existing.request_sha256 != digest:
        raise ApiError(422, "idempotency_key_reused",
                       "Esta Idempotency-Key ya se usó con otra solicitud distinta. Usa una clave nueva "
                       "para cada operación diferente.", field=HEADER)
    if existing.status_code is not None:
        return replay(existing)
    if now - existing.created_at > STALE_AFTER:
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, created_at=existing.created_at, status_code__isnull=True
        ).update(created_at=now)
        if taken:
            existing.created_at = now
            return existing
    raise _in_progress()


def replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.response_body or b""), status=record.status_code, content_type=JSON)
    response[REPLAYED_HEADER] = "true"
    return response


def _execute(record: IdempotencyRecord, call: Callable[[], Any], *, redact: tuple[str, ...]) -> HttpResponse:
    stored = False
    try:
        with transaction.atomic():
            response = render(call())
            if response.status_code >= 500:
                raise _ServerError(response)
            _store(record, response, redact)
            stored = True
    except _Superseded:
        return error_response(*IN_PROGRESS, HEADER)
    except _ServerError as exc:
        _release(record)
        return exc.response
    except Exception as exc:
        if stored and _is_stored(record):
            # The response committed; only an on-commit hook failed after it.
            log.exception("on-commit hook failed after an idempotent request")
            return response
        known = known_error_response(exc)
        if known is None or known.status_code >= 500:
            _release(record)
            raise
        try:
            _store(record, known, redact)
        except _Superseded:
            return error_response(*IN_PROGRESS, HEADER)
        return known
    return response


def _execute_outside(record: IdempotencyRecord, call: Callable[[], Any], *, redact: tuple[str, ...]) -> HttpResponse:
    """Run a self-idempotent handler, then store its response in a short transaction."""
    try:
        response = render(call())
    except Exception as exc:
        response = known_error_response(exc)
        if response is None:
            _release(record)
            raise
    if response.status_code >= 500:
        _release(record)
        return response
    try:
        _store(record, response, redact)
    except _Superseded:
        return error_response(*IN_PROGRESS, HEADER)
    return response


class _ServerError(Exception):
    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def _store(record: IdempotencyRecord, response: HttpResponse, redact: tuple[str, ...]) -> None:
    updated = IdempotencyRecord.objects.filter(
        pk=record.pk, created_at=record.created_at, status_code__isnull=True
    ).update(status_code=response.status_code, response_body=_stored_body(response, redact))
    if not updated:
        raise _Superseded()


def _stored_body(response: HttpResponse, redact: tuple[str, ...]) -> bytes:
    body = bytes(response.content)
    if redact:
        data = json.loads(body)
        if isinstance(data, dict):
            body = json.dumps({k: (None if k in redact else v) for k, v in data.items()},
                              cls=NinjaJSONEncoder).encode()
    return body


@dataclass
class _Pending:
    """The key of the request being handled, for `store_with_work`."""

    scope: dict[str, Any]
    method: str
    path: str
    digest: str
    now: datetime
    redact: tuple[str, ...]
    stored: bool = False

    def insert(self, response: HttpResponse) -> None:
        """The key's record, already answered with `response`."""
        IdempotencyRecord.objects.create(**self.scope, method=self.method, path=self.path,
                                         request_sha256=self.digest, created_at=self.now,
                                         status_code=response.status_code,
                                         response_body=_stored_body(response, self.redact))


_PENDING: ContextVar[_Pending | None] = ContextVar("timbra_idempotency_pending", default=None)


def store_with_work(result: Any) -> HttpResponse:
    """Render the handler's answer and, when the request carries an Idempotency-Key, insert it
    as the key's record in the caller's (open) transaction, so the work and its stored answer
    commit or roll back together. Only for handlers marked `stores_with_work=True`."""
    response = render(result)
    pending = _PENDING.get()
    if pending is None or response.status_code >= 500:
        return response
    pending.insert(response)
    pending.stored = True
    return response


def _run_storing_with_work(who: Caller, key: str, request: HttpRequest, call: Callable[[], Any], *,
                           redact: tuple[str, ...], now: datetime) -> HttpResponse:
    """A handler that writes its key's record with its work (`store_with_work`): one write
    transaction and no lookup first. A key seen before is caught by the unique constraints (the
    business key's, then the record's): the handler finds the existing work instead of
    creating it, and the answer comes from the key's record."""
    digest = fingerprint(request)
    scope = {"org": who.org, "livemode": who.livemode, "key": key}
    pending = _Pending(scope=scope, method=request.method or "", path=request.path[:300], digest=digest,
                       now=now, redact=redact)
    token = _PENDING.set(pending)
    try:
        response: HttpResponse | None = render(call())
    except IntegrityError:
        response = None  # the key's record exists (committed by another request)
    except Exception as exc:
        response = known_error_response(exc)
        if response is None:
            raise
    finally:
        _PENDING.reset(token)
    if pending.stored and response is not None:
        return response
    # Nothing stored with the work: the key was used before (the work already existed under
    # its business key), or the answer is an error. The key's record, if any, decides.
    existing = IdempotencyRecord.objects.filter(**scope).first()
    if existing is not None:
        answered = _answer_from(existing, digest, now=now)  # replay, 422 reused, 409 in flight
        if isinstance(answered, HttpResponse):
            return answered
    if response is None:
        raise _in_progress()
    if response.status_code >= 500:
        return response
    try:  # a client error, or work found by its business key: its answer is stored on its own
        with transaction.atomic():
            if existing is not None:  # left unanswered by a request that died long ago
                _store(existing, response, redact)
            else:
                pending.insert(response)
    except (IntegrityError, _Superseded):
        return error_response(*IN_PROGRESS, HEADER)
    return response


def _is_stored(record: IdempotencyRecord) -> bool:
    return IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=False).exists()


def _release(record: IdempotencyRecord) -> None:
    """Forget the key after a server error so the client may retry with it."""
    IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at, status_code__isnull=True).delete()
