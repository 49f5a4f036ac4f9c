"""Invoicing rules per org (issue 3): the model, its use cases, the engine's adapter and previews.

The matching itself is pure (`timbra.domain.invoicing_rules`); this package stores rules,
turns a Payment into the facts a rule looks at, and a decision into an InvoiceInput.
"""
