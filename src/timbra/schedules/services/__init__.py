"""Schedule and plan use cases, one module each (the only writers of schedules models).

Every change runs in one transaction with the schedule row locked, bumps `revision` (which
guards the issuer's writes), recomputes `next_due_at` and appends a Spanish history row.
"""
