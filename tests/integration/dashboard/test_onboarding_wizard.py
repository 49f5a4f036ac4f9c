"""Sign-up and the «Primeros pasos» wizard through real HTTP and real forms."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import SAT_DIR, make_org
from tests.in_test_pac import GOOD
from tests.integration.dashboard.conftest import make_staff
from tests.integration.dashboard.test_settings import png
from timbra.customers.models import Customer
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Csd, Membership, Org, OrgEvent, OrgPac

pytestmark = pytest.mark.django_db
CERTS = SAT_DIR / "certs"
PASSWORD = "una-contraseña-larga-7"
COMPANY = {"rfc": "eku9003173c9", "nombre": "Escuela Kemper Urgate S.A. de C.V.", "regimen_fiscal": "601",
           "lugar_expedicion": "42501", "timezone": "", "email": "facturas@kemper.example",
           "default_serie": "f", "brand_color": "#0a7d5a"}
FINKOK = {"name": "finkok", "test_environment": "live", "base_url": "", "finkok_username": GOOD["username"],
          "finkok_password": GOOD["password"]}


def url(name: str) -> str:
    return reverse(f"dashboard:{name}")


def csd_files(password: str = "12345678a") -> dict[str, object]:
    return {"cer": SimpleUploadedFile("EKU9003173C9.cer", (CERTS / "EKU9003173C9.cer").read_bytes()),
            "key": SimpleUploadedFile("EKU9003173C9.key", (CERTS / "EKU9003173C9.key").read_bytes()),
            "password": password}


def signed_up(client: Client, email: str = "ana@kemper.example") -> Client:
    response = client.post(url("signup"), {"email": email, "password": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def test_a_business_onboards_itself_from_sign_up_to_live(frozen, finkok, django_capture_on_commit_callbacks,
                                                          caplog):
    caplog.set_level(logging.DEBUG)
    browser = signed_up(Client())
    # 1. company, with logo and colour
    response = browser.post(url("onboarding_company"),
                            {**COMPANY, "logo": SimpleUploadedFile("logo.png", png(), content_type="image/png")})
    assert response["Location"] == url("onboarding_csd")
    org = Org.objects.get()
    assert (org.rfc, org.nombre, org.timezone, org.default_serie, org.brand_color) == (
        "EKU9003173C9", "ESCUELA KEMPER URGATE", "America/Mexico_City", "F", "#0A7D5A")
    assert bytes(org.logo) == png() and Membership.objects.get().org == org
    # 2. CSD
    assert browser.post(url("onboarding_csd"), csd_files())["Location"] == url("onboarding_pac")
    assert Csd.objects.get(org=org, active=True).rfc == "EKU9003173C9"
    # 3. PAC, then «Probar conexión»
    assert browser.post(url("onboarding_pac"), FINKOK)["Location"] == url("onboarding_pac")
    page = browser.post(url("onboarding_pac_check"), follow=True).content.decode()
    assert "Conexión correcta con Finkok." in page and GOOD["password"] not in page
    # 4. first customer (the form proposes a SAT test taxpayer)
    initial = browser.get(url("onboarding_customer")).content.decode()
    assert 'value="URE180429TM6"' in initial
    customer = {"rfc": "URE180429TM6", "nombre": "UNIVERSIDAD ROBOTICA ESPAÑOLA", "regimen_fiscal": "601",
                "codigo_postal": "86991", "uso_cfdi": "G03", "emails": "cuentas@robotica.example"}
    assert browser.post(url("onboarding_customer"), customer)["Location"] == url("onboarding_invoice")
    test_customer = Customer.objects.get(org=org, livemode=False)
    # 5. first invoice, in test mode: sealed with the CSD, stamped by the sandbox
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(url("onboarding_invoice"), {
            "customer": test_customer.pk, "descripcion": "Servicio de prueba", "clave_prod_serv": "81112101",
            "clave_unidad": "e48", "unit_price": "100.00", "forma_pago": "03"})
    invoice = Invoice.objects.get(org=org)
    assert (invoice.livemode, invoice.status, invoice.pac) == (False, InvoiceStatus.DELIVERED, "sandbox")
    assert invoice.serie == "F" and str(invoice.total) == "116.00"
    # 6. production
    response = browser.post(url("onboarding_live"), {"action": "activate"}, follow=True)
    org.refresh_from_db()
    assert org.live_enabled_at is not None
    assert "Modo producción activado" in response.content.decode()
    assert browser.session["dashboard_livemode"] is True
    assert "Modo producción sin PAC" not in response.content.decode()
    kinds = list(OrgEvent.objects.filter(org=org).values_list("kind", flat=True))
    assert kinds == ["org_created", "csd_uploaded", "pac_configured", "pac_checked", "customer_created", "pac_checked",
                     "live_enabled"]
    # no secret in any log line nor audit row
    audit = str(list(OrgEvent.objects.values_list("message", "data")))
    for secret in (GOOD["password"], PASSWORD, "12345678a"):
        assert secret not in caplog.text and secret not in audit


def test_sign_up_refuses_a_weak_password_a_mismatch_and_a_taken_email(frozen):
    signed_up(Client())

    weak = Client().post(url("signup"), {"email": "b@kemper.example", "password": "12345", "password2": "12345"})
    mismatch = Client().post(url("signup"), {"email": "c@kemper.example", "password": PASSWORD,
                                             "password2": PASSWORD + "x"})
    taken = Client().post(url("signup"), {"email": "ANA@kemper.example", "password": PASSWORD,
                                          "password2": PASSWORD})

    assert "La contraseña es demasiado corta" in weak.content.decode()
    assert "Las contraseñas no coinciden." in mismatch.content.decode()
    assert "Ya existe una cuenta con ese correo." in taken.content.decode()
    assert list(User.objects.values_list("username", flat=True)) == ["ana@kemper.example"]


def test_the_company_step_checks_the_fiscal_data_against_the_sat_catalogs(frozen):
    browser = signed_up(Client())

    response = browser.post(url("onboarding_company"), {**COMPANY, "rfc": "EKU9003173C", "regimen_fiscal": "605"})

    assert response.status_code == 200
    assert not Org.objects.exists()
    assert 'class="error"' in response.content.decode()


def test_fiscal_data_can_be_corrected_until_the_csd_is_uploaded(frozen):
    browser = signed_up(Client())
    browser.post(url("onboarding_company"), {**COMPANY, "lugar_expedicion": "06600"})

    browser.post(url("onboarding_company"), COMPANY)
    browser.post(url("onboarding_csd"), csd_files())
    locked = browser.get(url("onboarding_company")).content.decode()

    org = Org.objects.get()
    assert org.lugar_expedicion == "42501"
    assert 'name="rfc"' not in locked and "no se pueden cambiar" in locked


def test_the_csd_step_shows_the_existing_checks_errors(client_in, org):
    Csd.objects.all().delete()

    response = client_in.post(url("onboarding_csd"), csd_files("otra-contraseña"))

    assert "La contraseña de la llave privada es incorrecta." in response.content.decode()
    assert not Csd.objects.exists()


def test_pac_credentials_are_never_shown_again_and_a_bad_password_fails_the_check(client_in, org, finkok):
    client_in.post(url("onboarding_pac"), {**FINKOK, "finkok_password": "equivocada-1234"})

    page = client_in.get(url("onboarding_pac")).content.decode()
    checked = client_in.post(url("onboarding_pac_check"), follow=True).content.decode()

    assert "equivocada-1234" not in page and "…1234" in page and GOOD["username"] in page
    assert "El PAC rechazó las credenciales" in checked
    assert b"equivocada-1234" not in bytes(OrgPac.objects.get(org=org).credentials_encrypted)


def test_the_switch_to_live_is_refused_with_the_reasons(client_in, org):
    client_in.post(url("onboarding_pac"), {"name": "sandbox", "test_environment": "test", "base_url": ""})

    page = client_in.post(url("onboarding_live"), {"action": "activate"}).content.decode()

    org.refresh_from_db()
    assert org.live_enabled_at is None
    assert "No se activó el modo producción." in page
    assert "El PAC de pruebas de Timbra no da validez fiscal" in page


def test_banners_tell_the_truth_in_each_mode(client_in, org, finkok):
    test_page = client_in.get(url("invoice_list")).content.decode()
    switched = client_in.post(url("switch_mode"), {"mode": "live", "next": "/"}, follow=True).content.decode()
    client_in.post(url("onboarding_pac"), FINKOK)
    client_in.post(url("onboarding_live"), {"action": "activate"})
    live_page = client_in.get(url("invoice_list")).content.decode()

    assert "Modo pruebas · sin validez fiscal" in test_page
    assert "Modo producción sin PAC" in switched and "esperarán" in switched
    assert "tienen validez fiscal" not in switched
    assert "Modo producción sin PAC" not in live_page and "validez fiscal" not in live_page
    assert "Primeros pasos" not in live_page  # onboarding done: the nav item goes away


def test_settings_show_the_stamps_used_per_month(client_in, org, customer, product,
                                                 django_capture_on_commit_callbacks):
    from tests.factories import make_invoice

    with django_capture_on_commit_callbacks(execute=True):
        make_invoice(org, customer, product=product)

    page = client_in.get(url("settings")).content.decode()

    assert "Timbres usados" in page
    row = page.split("Noviembre 2026", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">0</td><td class="num">1</td>' in row


def test_wizard_pages_show_only_the_members_own_org(client_in, org, foreign, finkok):
    OrgPac.objects.all().delete()
    other = make_staff(foreign["org"], username="otro")
    other_client = Client()
    other_client.force_login(other)
    other_client.post(url("onboarding_pac"), FINKOK)

    mine = client_in.get(url("onboarding_pac")).content.decode()
    client_in.post(url("onboarding_pac_check"))
    second = client_in.post(url("onboarding_company"), {**COMPANY, "rfc": "EWE1709045U0"})

    assert GOOD["username"] not in mine and "Sin PAC." in mine
    assert OrgPac.objects.get().org == foreign["org"] and OrgPac.objects.get().checked_at is None
    org.refresh_from_db()  # fiscal data locked by the CSD: the RFC sent is ignored, only the look is saved
    assert Org.objects.count() == 2 and second.status_code == 302 and org.rfc == "EKU9003173C9"


def test_a_user_without_org_is_offered_the_wizard(frozen):
    browser = signed_up(Client())

    page = browser.get(url("invoice_list")).content.decode()

    assert url("onboarding_company") in page
    make_org()  # another org existing changes nothing for this user
    assert browser.get(url("onboarding_company")).status_code == 200


def test_primeros_pasos_opens_the_first_step_not_done(client_in, org):
    # the org fixture has its company and CSD: the PAC comes next
    assert client_in.get(url("onboarding"))["Location"] == url("onboarding_pac")

    client_in.post(url("onboarding_pac"), {"name": "sandbox", "test_environment": "test", "base_url": ""})

    assert client_in.get(url("onboarding"))["Location"] == url("onboarding_customer")
