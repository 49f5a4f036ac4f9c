"""Product use cases."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from timbra.catalog.claves import require_clave_prod_serv
from timbra.catalog.models import Product
from timbra.domain import catalogs, tax_presets
from timbra.domain.text import text_problem
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.models import Org

FIELDS = ("descripcion", "clave_prod_serv", "clave_unidad", "unidad", "sku", "unit_price",
          "price_includes_taxes", "objeto_imp", "taxes")


def _validate(values: dict[str, Any]) -> None:
    if not str(values.get("descripcion", "")).strip():
        raise InvoicingError("descripcion_required", "La descripción es obligatoria.", field="descripcion")
    clave = str(values.get("clave_prod_serv", ""))
    if not (clave.isdigit() and len(clave) == 8):
        raise InvoicingError("clave_prod_serv_invalid", "La clave de producto o servicio debe tener 8 dígitos.",
                             field="clave_prod_serv")
    require_clave_prod_serv(clave)
    if not catalogs.is_valid_clave_unidad(str(values.get("clave_unidad", ""))):
        raise InvoicingError("clave_unidad_invalid", "La clave de unidad no está en el catálogo del SAT.",
                             field="clave_unidad")
    try:
        price = Decimal(str(values.get("unit_price")))
    except InvalidOperation as exc:
        raise InvoicingError("price_invalid", "El precio no es un número válido.", field="unit_price") from exc
    if price < 0:
        raise InvoicingError("price_invalid", "El precio no puede ser negativo.", field="unit_price")
    values["unit_price"] = price
    try:
        tax_presets.resolve(values.get("taxes") or [])
    except ValueError as exc:
        raise InvoicingError("tax_invalid", str(exc), field="taxes") from exc
    objeto = values.get("objeto_imp", "02")
    if not catalogs.is_valid("objeto_imp", objeto):
        raise InvoicingError("CFDI40170", "El objeto de impuesto no existe en el catálogo del SAT.", field="objeto_imp")
    if objeto == "02" and not values.get("taxes"):
        raise InvoicingError("taxes_required", "Con objeto de impuesto 02 indica al menos un impuesto.", field="taxes")
    if objeto in {"01", "03", "04", "05"} and values.get("taxes"):
        # CFDI40172: these keys carry no Impuestos node; the invoice would refuse the product's lines.
        raise InvoicingError("taxes_not_allowed", f"Con objeto de impuesto {objeto} el concepto no lleva impuestos: "
                             "usa 02 para desglosarlos o quítalos.", field="taxes")
    for name, label in (("descripcion", "La descripción"), ("unidad", "La unidad"), ("sku", "El SKU")):
        if reason := text_problem(str(values.get(name) or "")):
            raise InvoicingError("texto_invalido", f"{label} {reason}", field=name)


def create_product(org: Org, data: dict[str, Any], *, livemode: bool, as_of: datetime) -> Product:
    values = {"objeto_imp": "02", "taxes": ["IVA16"], "price_includes_taxes": False, **data}
    _validate(values)
    return Product.objects.create(org=org, livemode=livemode, created_at=as_of, updated_at=as_of,
                                  **{k: values[k] for k in FIELDS if k in values})


def update_product(product: Product, data: dict[str, Any], *, as_of: datetime) -> Product:
    values = {k: getattr(product, k) for k in FIELDS} | {k: v for k, v in data.items() if k in FIELDS}
    _validate(values)
    for name in FIELDS:
        setattr(product, name, values[name])
    product.updated_at = as_of
    product.save()
    return product
