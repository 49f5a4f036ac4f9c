"""Ajustes → Equipo: who is in the org with which role, invitations, and accepting one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from timbra.dashboard.access import ORG_SESSION_KEY, Tenant, or_404, org_view, render_page
from timbra.invoicing.errors import InvoicingError
from timbra.orgs import roles
from timbra.orgs.members import accept_invitation, change_role, invite_member, read_invitation, remove_member
from timbra.orgs.models import Membership


class InviteForm(forms.Form):
    email = forms.EmailField(label="Correo", error_messages={"invalid": "El correo no es válido."})
    role = forms.ChoiceField(label="Rol", choices=roles.CHOICES, initial=roles.OPERATOR)


class AcceptForm(forms.Form):
    password = forms.CharField(label="Contraseña", widget=forms.PasswordInput, min_length=10,
                               help_text="Al menos 10 caracteres.")


def _member(tenant: Tenant, membership_id: int) -> Membership:
    return or_404(Membership.objects.filter(org=tenant.org, pk=membership_id).select_related("user", "org").first(),
                  "No se encontró a esa persona en el equipo.")


@org_view
def members(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invite_member(tenant.org, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                          actor=tenant.actor, actor_role=tenant.role, as_of=timezone.now())
        except InvoicingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Invitación enviada a {form.cleaned_data['email']}.")
            return redirect("dashboard:members")
    team = Membership.objects.filter(org=tenant.org).select_related("user").order_by("user__username")
    return render_page(request, tenant, "dashboard/settings/members.html",
                       {"form": form, "team": team, "roles": roles.CHOICES, "labels": roles.LABELS,
                        "nav": "settings", "tab": "members"})


@org_view
@require_POST
def member_role(request: HttpRequest, tenant: Tenant, membership_id: int) -> HttpResponse:
    membership = _member(tenant, membership_id)
    try:
        change_role(membership, role=request.POST.get("role", ""), actor=tenant.actor, actor_role=tenant.role,
                    as_of=timezone.now())
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Rol de {membership.user.get_username()} actualizado.")
    return redirect("dashboard:members")


@org_view
@require_POST
def member_remove(request: HttpRequest, tenant: Tenant, membership_id: int) -> HttpResponse:
    membership = _member(tenant, membership_id)
    try:
        remove_member(membership, actor=tenant.actor, actor_role=tenant.role, as_of=timezone.now())
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{membership.user.get_username()} ya no es parte del equipo.")
    return redirect("dashboard:members")


def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the link from the invitation email. A new person chooses a password; someone who
    already has a login (and is logged in as the invited email) just joins."""
    try:
        invitation = read_invitation(token)
    except InvoicingError as exc:
        return render(request, "dashboard/auth/invite.html", {"error": exc.message}, status=400)
    user = request.user if request.user.is_authenticated else None
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and (user is not None or form.is_valid()):
        try:
            joined = accept_invitation(invitation, user=user, password=form.data.get("password", ""),
                                       as_of=timezone.now())
        except InvoicingError as exc:
            form.add_error("password" if exc.field == "password" else None, exc.message)
        else:
            if user is None:
                login(request, joined, backend="django.contrib.auth.backends.ModelBackend")
            request.session[ORG_SESSION_KEY] = invitation.org.pk
            messages.success(request, f"Bienvenido al equipo de {invitation.org.nombre}.")
            return redirect("dashboard:home")
    return render(request, "dashboard/auth/invite.html",
                  {"invitation": invitation, "form": form, "logged_in": user is not None,
                   "role_label": roles.LABELS[invitation.role]})
