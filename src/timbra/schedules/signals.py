"""Hooks for other parts of Timbra (notices, dashboard) that react to schedules.

`schedule_activated` is sent once the activation has committed, with `schedule` and `as_of`:
the notices work announces a new schedule's first invoice from here (issue 4, "tell the
client first"). Receivers should only enqueue a job: they run in the activating request.
"""

from __future__ import annotations

from django.dispatch import Signal

schedule_activated = Signal()
