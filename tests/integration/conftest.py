import pytest
import time_machine

from tests.factories import NOW, make_customer, make_org, make_product
from tests.in_test_pac import finkok  # noqa: F401  (fixture: a non-sandbox PAC for the live switch)
from tests.unit.payments.stripe_events import SECRET
from timbra.payments.services.connections import connect_stripe


@pytest.fixture
def frozen():
    """Freeze the clock inside the SAT test CSD's validity."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def org(db, frozen):
    return make_org()


@pytest.fixture
def customer(org):
    return make_customer(org)


@pytest.fixture
def product(org):
    return make_product(org)


@pytest.fixture
def stripe(org):
    """A test-mode Stripe connection of `org`, verifying with the fixtures' signing secret."""
    return connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=NOW)


@pytest.fixture
def stripe_webhook(stripe, django_capture_on_commit_callbacks):
    """Post one signed Stripe event to `stripe`'s webhook and run the jobs it queues."""
    from tests.integration.payments.conftest import Deliverer

    deliver = Deliverer(django_capture_on_commit_callbacks)
    return lambda data: deliver(stripe, data)
