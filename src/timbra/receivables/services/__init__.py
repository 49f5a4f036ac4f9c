"""Receivables use cases, one module each: record a payment, void it, alert about due REPs,
configure the REP serie and deadline."""
