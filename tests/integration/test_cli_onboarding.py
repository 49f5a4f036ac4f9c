"""`timbra createorg` and `timbra createuser`: operators onboard a business from the shell."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from tests.factories import SAT_DIR
from timbra import cli
from timbra.orgs.models import Csd, Membership, Org, OrgEvent

pytestmark = pytest.mark.django_db
CERTS = SAT_DIR / "certs"
ORG_ARGS = ["createorg", "--rfc", "EKU9003173C9", "--nombre", "Escuela Kemper Urgate", "--regimen", "601",
            "--cp", "42501", "--serie", "F", "--email", "facturas@kemper.example"]
CSD_ARGS = ["--cer", str(CERTS / "EKU9003173C9.cer"), "--key", str(CERTS / "EKU9003173C9.key")]


def test_createorg_creates_the_issuer_with_its_csd_and_prints_its_id(frozen, monkeypatch, capsys):
    monkeypatch.setenv("TIMBRA_CSD_PASSWORD", "12345678a")

    assert cli.main([*ORG_ARGS, *CSD_ARGS]) == 0

    org = Org.objects.get()
    assert capsys.readouterr().out.strip() == str(org.pk)
    assert (org.nombre, org.default_serie, org.timezone, org.live_enabled_at) == (
        "ESCUELA KEMPER URGATE", "F", "America/Mexico_City", None)
    assert Csd.objects.get(org=org).active
    assert set(OrgEvent.objects.filter(org=org).values_list("kind", "actor")) == {("org_created", "CLI"),
                                                                                ("csd_uploaded", "CLI")}


def test_createorg_with_a_wrong_csd_password_creates_nothing(frozen, monkeypatch, capsys):
    monkeypatch.setenv("TIMBRA_CSD_PASSWORD", "otra")

    assert cli.main([*ORG_ARGS, *CSD_ARGS]) == 2

    assert "contraseña de la llave privada es incorrecta" in capsys.readouterr().err
    assert not Org.objects.exists()


def test_createorg_refuses_bad_fiscal_data_in_spanish(frozen, capsys):
    assert cli.main([*ORG_ARGS[:-8], "--regimen", "999", "--cp", "42501"]) == 2

    assert "régimen" in capsys.readouterr().err.lower()
    assert not Org.objects.exists()


def test_createuser_adds_a_login_to_the_org(org, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("una-contraseña-larga-7\n"))

    assert cli.main(["createuser", "--org", str(org.pk), "--email", "Ana@Kemper.example", "--password-stdin"]) == 0

    # Login throttling (django-axes) needs the request that tries the password.
    user = authenticate(RequestFactory().post("/login/"), username="ana@kemper.example",
                        password="una-contraseña-larga-7")
    assert user is not None and Membership.objects.get(user=user).org == org
    assert "una-contraseña" not in capsys.readouterr().out


def test_createuser_refuses_a_weak_password_and_an_unknown_org(org, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("12345\n"))

    assert cli.main(["createuser", "--org", str(org.pk), "--email", "ana@kemper.example", "--password-stdin"]) == 2
    assert cli.main(["createuser", "--org", "999999", "--email", "b@kemper.example", "--password-stdin"]) == 2

    err = capsys.readouterr().err
    assert "demasiado corta" in err and "No existe la organización 999999." in err
    assert not Membership.objects.exists()
