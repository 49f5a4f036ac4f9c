"""Second factor (issue 13 §3): TOTP with django-otp. Optional for everyone (Ajustes → the user
menu), required for owners (`TIMBRA_OWNER_2FA`): `access.second_factor_redirect` sends a session
that has not passed it here before any dashboard page."""

from __future__ import annotations

import base64

import zxingcpp
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from timbra.dashboard.access import active_membership
from timbra.orgs.roles import OWNER


class TokenForm(forms.Form):
    token = forms.CharField(label="Código de 6 dígitos", max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


def _qr_svg(text: str) -> str:
    svg = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_svg()
    return mark_safe(svg[svg.index("<svg"):])  # noqa: S308  (our own SVG from zxing-cpp, no user markup)


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR (or type the key) in an authenticator app, then confirm with one code."""
    if user_has_device(request.user) and request.user.is_verified():  # type: ignore[union-attr]
        messages.info(request, "Tu verificación en dos pasos ya está activa.")
        return redirect("dashboard:home")
    device = (TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
              or TOTPDevice.objects.create(user=request.user, name="Timbra", confirmed=False))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Verificación en dos pasos activada.")
            return redirect("dashboard:home")
        form.add_error("token", "El código no coincide. Revisa la hora de tu teléfono y escribe el código actual.")
    membership = active_membership(request)
    return render(request, "dashboard/auth/otp_setup.html", {
        "form": form, "qr": _qr_svg(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
        "required": membership is not None and membership.role == OWNER,
    })


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the authenticator app, once per session."""
    form = TokenForm(request.POST or None)
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = ""
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].strip())
        if device is not None:
            otp_login(request, device)
            return redirect(target or "dashboard:home")
        form.add_error("token", "El código no es correcto o ya se usó.")
    return render(request, "dashboard/auth/otp_verify.html", {"form": form})
