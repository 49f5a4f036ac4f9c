"""Recurring invoices (issue 4): plans, schedules, issuing exactly once per period, previews."""
