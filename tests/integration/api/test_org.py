"""/org: the key's issuer, its settings and its CSD."""

from __future__ import annotations

import pytest
import time_machine

from tests.factories import MX, SAT_DIR, make_org
from tests.integration.api.conftest import ApiClient, error_of, make_token
from timbra.orgs.models import Csd, Org

pytestmark = pytest.mark.django_db

CERTS = SAT_DIR / "certs"


def upload(api: ApiClient, *, password: str = "12345678a", cer: str = "EKU9003173C9.cer"):
    with (CERTS / cer).open("rb") as cer_file, (CERTS / "EKU9003173C9.key").open("rb") as key_file:
        return api.put_multipart("/org/csd", {"cer": cer_file, "key": key_file, "password": password})


def test_the_org_shows_its_fiscal_data_and_csd_status(api, org):
    # when
    body = api.get("/org").json()
    # then
    assert (body["id"], body["rfc"], body["livemode"]) == (org.pk, "EKU9003173C9", False)
    csd = body["csd"]
    assert csd["no_certificado"] == "30001000000500003416"
    assert csd["status"] == "valid"
    assert csd["days_left"] == 178
    assert csd["warning"] is None


def test_a_csd_close_to_expiry_comes_with_a_spanish_warning(api):
    # when
    from datetime import datetime

    with time_machine.travel(datetime(2027, 5, 1, 10, 0, tzinfo=MX), tick=False):
        csd = api.get("/org").json()["csd"]
    # then
    assert csd["days_left"] == 16  # whole days left until 2027-05-18 05:43 local
    assert "vence el 18/05/2027" in csd["warning"]


def test_an_org_without_csd_says_so(db, frozen):
    # given
    org = make_org(with_csd=False)
    # when
    body = ApiClient(make_token(org)).get("/org").json()
    # then
    assert body["csd"] is None


def test_updating_the_org_settings(api, org):
    # when
    response = api.patch("/org", {"email": "facturas@kemper.example", "brand_color": "#aa0033",
                                  "default_serie": "web"})
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["brand_color"], body["default_serie"]) == ("facturas@kemper.example", "#AA0033", "WEB")
    org.refresh_from_db()
    assert org.default_serie == "WEB"


@pytest.mark.parametrize(("patch", "field"), [
    ({"brand_color": "rojo"}, "brand_color"),
    ({"email": "no-es-correo"}, "email"),
    ({"default_serie": "A|B"}, "default_serie"),
    ({"rfc": "XAXX010101000"}, "rfc"),
])
def test_invalid_org_settings_are_refused(api, org, patch, field):
    # when
    response = api.patch("/org", patch)
    # then
    assert response.status_code == 422
    assert error_of(response)["field"] == field
    assert Org.objects.get(pk=org.pk).rfc == "EKU9003173C9"


def test_uploading_a_valid_csd_makes_it_the_active_one(db, frozen):
    # given
    org = make_org(with_csd=False)
    api = ApiClient(make_token(org))
    # when
    response = upload(api)
    # then
    assert response.status_code == 200, response.content
    assert response.json()["csd"]["no_certificado"] == "30001000000500003416"
    assert Csd.objects.get(org=org).active


def test_a_wrong_password_is_a_422_that_never_echoes_it(db, frozen):
    # given
    org = make_org(with_csd=False)
    api = ApiClient(make_token(org))
    # when
    response = upload(api, password="contraseña-equivocada")
    # then
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("bad_password", "password")
    assert "equivocada" not in response.content.decode()
    assert not Csd.objects.filter(org=org).exists()


def test_a_csd_upload_without_files_names_what_is_missing(api):
    # when
    response = api.put_multipart("/org/csd", {"password": "12345678a"})
    # then
    assert response.status_code == 422
    assert error_of(response)["field"] == "cer"
