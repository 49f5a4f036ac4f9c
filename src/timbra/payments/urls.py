from django.urls import path

from timbra.payments import views

app_name = "payments"

urlpatterns = [
    # POST /hooks/stripe/<token>: the token routes the event to its connection (and org).
    path("<str:provider>/<str:token>", views.webhook, name="webhook"),
]
