"""THE permission layer of the dashboard (issue 13 §3): every URL name -> the capability a GET
needs and the one any other method needs. `access.org_view` checks it before the view runs;
a URL name missing here is refused (and tests/integration/dashboard/test_roles.py walks every
URL as every role, so a new page cannot ship without a line here)."""

from __future__ import annotations

from timbra.orgs.roles import BOOKS, CONFIGURE, MEMBERS, OPERATE, READ, READ_CONFIG, can

R, RC, OP, BK, CF, MB = READ, READ_CONFIG, OPERATE, BOOKS, CONFIGURE, MEMBERS

# url name: (GET/HEAD, POST and the rest)
RULES: dict[str, tuple[str, str]] = {
    "home": (R, R),
    "invoice_list": (R, R),
    "invoice_new": (OP, OP),
    "invoice_detail": (R, R),
    "invoice_status": (R, R),
    "invoice_pdf": (R, R),
    "invoice_xml": (R, R),
    "invoice_retry": (OP, OP),
    "invoice_discard": (OP, OP),
    # issue 11: cancellations and credit notes are the books' (contador); correcting is operating
    "invoice_cancel": (BK, BK),
    "invoice_credit_note": (BK, BK),
    "invoice_sat_status": (R, R),
    "invoice_correct": (OP, OP),
    "attention": (R, R),
    "global_invoice": (R, BK),
    "customer_list": (R, R),
    "customer_new": (OP, OP),
    "customer_edit": (R, OP),
    "customer_revoke_links": (OP, OP),
    "product_list": (R, R),
    "product_new": (OP, OP),
    "product_edit": (R, OP),
    "schedule_list": (R, R),
    "schedule_new": (OP, OP),
    "upcoming": (R, R),
    "schedule_detail": (R, OP),
    "schedule_activate": (OP, OP),
    "schedule_pause": (OP, OP),
    "schedule_resume": (OP, OP),
    "schedule_skip": (OP, OP),
    "schedule_cancel": (OP, OP),
    "schedule_lines": (OP, OP),
    "plan_list": (R, R),
    "plan_new": (OP, OP),
    "plan_edit": (OP, OP),
    "settings": (RC, CF),
    "org_logo": (R, R),
    "csd": (RC, CF),
    "cancellation_settings": (RC, CF),
    "api_keys": (RC, CF),
    "api_key_revoke": (CF, CF),
    "gateways": (RC, CF),
    "gateway_connect_stripe": (CF, CF),
    "gateway_connect_conekta": (CF, CF),
    "gateway_connect_mercadopago": (CF, CF),
    "gateway_secret_add": (CF, CF),
    "gateway_secret_remove": (CF, CF),
    "gateway_api_key": (CF, CF),
    "gateway_metadata": (CF, CF),
    "gateway_toggle": (CF, CF),
    "events": (RC, RC),
    "event_detail": (RC, RC),
    "event_reprocess": (CF, CF),
    "gateway_payments": (R, R),
    "gateway_payment_detail": (R, R),
    "gateway_payment_assign": (OP, OP),
    "portal_settings": (RC, CF),
    "gateway_refund_retry": (BK, BK),
    "gateway_refund_dismiss": (BK, BK),
    "received_payments": (R, R),
    "received_payment_new": (BK, BK),
    "received_payment_detail": (R, R),
    "received_payment_void": (BK, BK),
    "rule_list": (R, R),
    "rule_new": (CF, CF),
    "rule_rates": (R, CF),
    "rule_edit": (R, CF),
    "rule_up": (CF, CF),
    "rule_down": (CF, CF),
    "rule_delete": (CF, CF),
    "switch_mode": (R, R),
    "switch_org": (R, R),
    "members": (MB, MB),
    "member_role": (MB, MB),
    "audit": (RC, RC),
    "member_remove": (MB, MB),
    "onboarding": (CF, CF),
    "onboarding_company": (CF, CF),
    "onboarding_csd": (CF, CF),
    "onboarding_pac": (CF, CF),
    "onboarding_pac_check": (CF, CF),
    "onboarding_customer": (CF, CF),
    "onboarding_invoice": (CF, CF),
    "onboarding_live": (CF, CF),
}
# Pages outside the org (no tenant): the stylesheet, sign-up and the invitation link.
PUBLIC = frozenset({"app_css", "signup", "invite_accept"})


def allowed(role: str, url_name: str | None, method: str) -> bool:
    """Whether `role` may send `method` to the dashboard URL named `url_name` (unknown: no)."""
    rule = RULES.get(url_name or "")
    if rule is None:
        return False
    return can(role, rule[0] if method in ("GET", "HEAD") else rule[1])
