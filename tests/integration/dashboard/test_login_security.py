"""Authentication hardening (issue 13 §3): failed logins lock the account out for a while
(django-axes), and changing the password ends every other session."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

PASSWORD = "contraseña-segura-1"


def test_five_wrong_passwords_lock_the_login_even_with_the_right_one(staff):
    client = Client()
    for _ in range(5):
        response = client.post("/login/", {"username": "ana", "password": "otra-cosa"})

    response = client.post("/login/", {"username": "ana", "password": PASSWORD})

    assert response.status_code == 429 and "Demasiados intentos" in response.content.decode()
    assert client.get(reverse("dashboard:home")).status_code == 302  # still not logged in


def test_a_success_before_the_limit_resets_the_count(staff):
    client = Client()
    for _ in range(4):
        client.post("/login/", {"username": "ana", "password": "otra-cosa"})

    assert client.post("/login/", {"username": "ana", "password": PASSWORD}).status_code == 302


def test_changing_the_password_ends_the_other_sessions_but_keeps_this_one(staff):
    laptop, phone = Client(), Client()
    for client in (laptop, phone):
        assert client.post("/login/", {"username": "ana", "password": PASSWORD}).status_code == 302

    response = laptop.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "otra-clave-larga-22",
                                                        "new_password2": "otra-clave-larga-22"})

    assert response.status_code == 302
    assert laptop.get(reverse("dashboard:home")).status_code == 200
    assert phone.get(reverse("dashboard:home")).status_code == 302  # sent back to the login
