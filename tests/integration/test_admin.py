import pytest
from django.contrib.auth import get_user_model

from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


def test_operators_see_invoices_and_csds_but_never_key_material(client, org, customer, product):
    invoice = make_invoice(org, customer, product=product)
    admin = get_user_model().objects.create_superuser("ops", password="x")
    client.force_login(admin)
    for url in ("/admin/invoicing/invoice/", f"/admin/invoicing/invoice/{invoice.pk}/change/",
                "/admin/orgs/csd/", "/admin/orgs/apikey/", "/admin/customers/customer/"):
        assert client.get(url).status_code == 200, url
    csd_page = client.get(f"/admin/orgs/csd/{org.csds.get().pk}/change/").content.decode()
    assert "key_encrypted" not in csd_page and "password_encrypted" not in csd_page
