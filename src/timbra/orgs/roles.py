"""Team roles and what each may do (issue 13 §3). Pure data: `dashboard.permissions` applies it
to every dashboard URL.

Capabilities:
- read: see invoices, customers, schedules, payments, rules (everyone);
- read_config: see the settings pages (CSD, API keys, PAC, gateways, portal);
- operate: create and change customers, products, invoices, schedules, plans;
- books: received payments (REPs), voids, the factura global, refunds and cancellations;
- configure: change settings, rules, CSD, API keys, PAC and gateways;
- members: invite and remove people, change their roles.
"""

from __future__ import annotations

OWNER, ADMIN, ACCOUNTANT, OPERATOR, VIEWER = "owner", "admin", "accountant", "operator", "viewer"

LABELS = {
    OWNER: "Propietario",
    ADMIN: "Administrador",
    ACCOUNTANT: "Contador",
    OPERATOR: "Operador",
    VIEWER: "Solo lectura",
}
CHOICES = list(LABELS.items())

READ, READ_CONFIG, OPERATE, BOOKS, CONFIGURE, MEMBERS = (
    "read", "read_config", "operate", "books", "configure", "members")

CAPABILITIES: dict[str, frozenset[str]] = {
    OWNER: frozenset({READ, READ_CONFIG, OPERATE, BOOKS, CONFIGURE, MEMBERS}),
    ADMIN: frozenset({READ, READ_CONFIG, OPERATE, BOOKS, CONFIGURE, MEMBERS}),
    # The accountant reads everything and keeps the books, but creates no invoices or keys.
    ACCOUNTANT: frozenset({READ, READ_CONFIG, BOOKS}),
    # The operator runs the day (customers, invoices) and never sees keys, CSD or PAC.
    OPERATOR: frozenset({READ, OPERATE}),
    VIEWER: frozenset({READ, READ_CONFIG}),
}


def can(role: str, capability: str) -> bool:
    """Whether `role` has `capability`; an unknown role has none."""
    return capability in CAPABILITIES.get(role, frozenset())
