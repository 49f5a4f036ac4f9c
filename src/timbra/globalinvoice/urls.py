from django.urls import path

from timbra.globalinvoice import views

app_name = "autofactura"

urlpatterns = [
    path("<slug:slug>/", views.autofactura, name="form"),
    path("<slug:slug>/cfdi/<str:token>.<str:kind>", views.download, name="download"),
]
