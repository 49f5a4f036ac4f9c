from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from timbra import api
from timbra.dashboard.forms import LoginForm
from timbra.dashboard.views import two_factor
from timbra.health import healthz

urlpatterns = [
    path("healthz", healthz),
    path("favicon.ico", RedirectView.as_view(url=static("dashboard/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls()),  # public REST API; docs at /api/v1/docs
    path("hooks/", include("timbra.payments.urls")),  # gateway webhooks: POST /hooks/stripe/<token>
    # Public self-invoicing by receipt code (globalinvoice/views.py), inside the portal's URL space.
    path("portal/autofactura/", include("timbra.globalinvoice.urls")),
    path("portal/", include("timbra.portal.urls")),  # customer pages reached by signed links
    # Staff dashboard (Spanish) and its login; keep the dashboard last: it owns "/".
    path("login/", auth_views.LoginView.as_view(template_name="dashboard/auth/login.html",
                                                authentication_form=LoginForm,
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    # Django keeps this session (update_session_auth_hash) and every other session of the user
    # stops validating: a changed password ends them (issue 13 §3).
    path("cuenta/contrasena/", auth_views.PasswordChangeView.as_view(
        template_name="dashboard/auth/password_change.html", success_url="/"), name="password_change"),
    path("cuenta/dos-pasos/", two_factor.otp_setup, name="otp_setup"),
    path("login/verificar/", two_factor.otp_verify, name="otp_verify"),
    path("", include("timbra.dashboard.urls")),
]
