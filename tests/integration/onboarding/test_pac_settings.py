"""The org's PAC: encrypted credentials, hints, «Probar conexión», and what pac_for uses."""

from __future__ import annotations

import logging

import pytest

from tests.factories import NOW
from tests.fakes import FakeFinkok, serve
from tests.in_test_pac import GOOD, UNREACHABLE_URL
from timbra.csd.vault import VaultError
from timbra.invoicing import pacs
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.models import OrgEvent, OrgPac
from timbra.orgs.pac_settings import check_pac_connection, decrypt_credentials, save_pac_settings
from timbra.orgs.selectors import org_pac_config

pytestmark = pytest.mark.django_db


def save(org, credentials=GOOD, **kw):
    options = {"name": "finkok", "base_url": "", "test_environment": False, **kw}
    return save_pac_settings(org, credentials=credentials, actor="ana", as_of=NOW, **options)


def test_credentials_are_stored_only_encrypted_and_bound_to_the_org(org):
    # when
    row = save(org)
    # then: neither the password nor the user is in the row, the hints show no password
    blob = bytes(row.credentials_encrypted)
    assert GOOD["password"].encode() not in blob and GOOD["username"].encode() not in blob
    assert row.credential_hints == {"username": GOOD["username"], "password": "…-123"}
    assert "finkok-secreto" not in repr(row) + str(OrgEvent.objects.values_list("message", "data"))
    assert org_pac_config(org) == ("finkok", GOOD, None, False)
    # a blob copied to another org does not decrypt
    with pytest.raises(VaultError):
        decrypt_credentials(org.pk + 1, blob)


def test_an_empty_credential_keeps_the_stored_one(org):
    save(org)

    save(org, credentials={"username": "", "password": ""}, base_url="https://demo.example/")

    assert org_pac_config(org) == ("finkok", GOOD, "https://demo.example", False)


def test_missing_credentials_unknown_pac_and_bad_url_are_refused_in_spanish(org):
    with pytest.raises(InvoicingError) as missing:
        save(org, credentials={"username": "x"})
    with pytest.raises(InvoicingError) as unknown:
        save(org, name="facturama")
    with pytest.raises(InvoicingError) as url:
        save(org, base_url="ftp://pac.example")

    assert (missing.value.code, missing.value.field) == ("pac_credentials_missing", "password")
    assert "Contraseña" in missing.value.message
    assert unknown.value.code == "pac_unknown" and url.value.field == "base_url"
    assert not OrgPac.objects.exists()


def test_probar_conexion_records_success(org, finkok):
    save(org)

    result = check_pac_connection(org, actor="ana", as_of=NOW)

    row = OrgPac.objects.get(org=org)
    assert result.ok and row.check_ok and row.checked_at == NOW
    assert finkok[-1].credentials == GOOD
    assert OrgEvent.objects.filter(org=org, kind="pac_checked", data__ok=True).exists()


def test_probar_conexion_reports_rejected_credentials_and_unreachable_pac(org, finkok, caplog):
    save(org, credentials={"username": "kemper@example.com", "password": "otra-contraseña-999"})
    with caplog.at_level(logging.DEBUG):
        rejected = check_pac_connection(org, actor="ana", as_of=NOW)
    save(org, base_url=UNREACHABLE_URL, credentials=GOOD)
    unreachable = check_pac_connection(org, actor="ana", as_of=NOW)

    assert (rejected.ok, rejected.code) == (False, "pac_credentials_rejected")
    assert "rechazó las credenciales" in rejected.message
    assert (unreachable.ok, unreachable.code) == (False, "pac_unreachable")
    assert OrgPac.objects.get(org=org).check_ok is False
    assert "otra-contraseña" not in caplog.text and "finkok-secreto" not in caplog.text


def test_probar_conexion_talks_to_finkok_with_the_real_adapter(org, tmp_path):
    # given the fake Finkok server (Finkok's SOAP wire protocol) with the org's account
    with serve(FakeFinkok(tmp_path, username=GOOD["username"], password=GOOD["password"])) as finkok:
        save(org, base_url=finkok.base_url)
        # then the real adapter logs in
        assert check_pac_connection(org, actor="ana", as_of=NOW).ok
        # and a wrong password is Finkok's rejection, in Spanish
        save(org, credentials={**GOOD, "password": "otra-clave"}, base_url=finkok.base_url)
        wrong = check_pac_connection(org, actor="ana", as_of=NOW)
        assert (wrong.ok, wrong.code) == (False, "pac_credentials_rejected") and "rechazó" in wrong.message
    # and once the server is gone, it is unreachable
    gone = check_pac_connection(org, actor="ana", as_of=NOW)
    assert (gone.ok, gone.code) == (False, "pac_unreachable")


def test_the_sandbox_answers_probar_conexion(org):
    save(org, name="sandbox", credentials={}, test_environment=True)

    assert check_pac_connection(org, actor="ana", as_of=NOW).ok


def test_live_invoices_use_the_org_pac_only_once_live(org, finkok):
    save(org)
    assert pacs.org_live_pac(org) is None  # configured, not switched to live

    org.live_enabled_at = NOW
    org.save()

    pac = pacs.pac_for(True, org)
    assert pac.name == "finkok" and not pac.is_sandbox
    assert pacs.pac_for(False, org).name == "sandbox"  # test mode never leaves the sandbox
