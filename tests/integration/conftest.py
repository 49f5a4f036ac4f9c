import pytest
import time_machine

from tests.factories import NOW, make_customer, make_org, make_product


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
