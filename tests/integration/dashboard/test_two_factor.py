"""Second factor (issue 13 §3): TOTP, optional for everyone and required for owners."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from timbra.orgs import roles
from timbra.orgs.models import Membership

PASSWORD = "contraseña-segura-1"


@pytest.fixture
def owner_2fa(settings, staff):
    settings.TIMBRA_OWNER_2FA = True
    Membership.objects.filter(user=staff).update(role=roles.OWNER)
    return staff


def code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def logged_in() -> Client:
    client = Client()
    assert client.post("/login/", {"username": "ana", "password": PASSWORD}).status_code == 302
    return client


def test_an_owner_without_a_second_factor_must_set_one_up_first(owner_2fa):
    client = logged_in()

    response = client.get(reverse("dashboard:invoice_list"))

    assert response.status_code == 302 and response["Location"] == reverse("otp_setup")
    page = client.get(reverse("otp_setup")).content.decode()
    assert "Como propietario" in page and "<svg" in page


def test_after_setup_every_new_session_asks_for_the_code(owner_2fa):
    # given an owner who set up TOTP with a good code
    client = logged_in()
    client.get(reverse("otp_setup"))
    device = TOTPDevice.objects.get(user=owner_2fa)
    assert client.post(reverse("otp_setup"), {"token": "000000" if code(device) != "000000" else "111111"}
                       ).status_code == 200  # a wrong code is refused…
    device.refresh_from_db()
    device.throttle_reset()  # …and throttles the next try (the clock is frozen here)
    assert client.post(reverse("otp_setup"), {"token": code(device)}).status_code == 302
    assert client.get(reverse("dashboard:home")).status_code == 200

    # when they log in again elsewhere
    other = logged_in()
    response = other.get(reverse("dashboard:customer_list"))

    # then the code is asked first, and the page opens after it
    assert response.status_code == 302 and response["Location"].startswith(reverse("otp_verify"))
    device.refresh_from_db()
    device.last_t = -1  # the same 30-second window: a new code would be the one just used
    device.save()
    response = other.post(response["Location"], {"token": code(device)})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:customer_list")
    assert other.get(reverse("dashboard:customer_list")).status_code == 200


def test_other_roles_may_go_without_a_second_factor(owner_2fa):
    Membership.objects.filter(user=owner_2fa).update(role=roles.OPERATOR)

    assert logged_in().get(reverse("dashboard:home")).status_code == 200
