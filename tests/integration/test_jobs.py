"""The periodic jobs run (thin wrappers; their services are tested on their own)."""

import pytest

from timbra.jobs import tasks

pytestmark = pytest.mark.django_db


PERIODIC = sorted(name for name, task in tasks.REGISTRY.items()
                  if hasattr(task.task_class, "validate_datetime"))


def test_the_sweeper_and_the_other_periodic_jobs_are_registered():
    assert "invoicing.sweep" in PERIODIC and len(PERIODIC) >= 3


@pytest.mark.parametrize("name", PERIODIC)
def test_every_periodic_job_runs_on_an_empty_installation(name):
    tasks.REGISTRY[name].call_local()
