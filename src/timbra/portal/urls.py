from django.urls import path

from timbra.portal import views

app_name = "portal"

urlpatterns = [
    path("datos-fiscales/<str:token>", views.fiscal_data, name="fiscal_data"),
]
