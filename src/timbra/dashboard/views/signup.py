"""Registro: a business creates its own account (email + password), then sets up its company."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from timbra.dashboard.forms import attach_error
from timbra.dashboard.onboarding_forms import SignupForm
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.onboarding import register_user


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard:onboarding_company")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = register_user(email=form.cleaned_data["email"], password=form.cleaned_data["password"])
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("dashboard:onboarding_company")
    return render(request, "dashboard/auth/signup.html", {"form": form})
