"""Timbra: automatic CFDI 4.0 invoicing for subscription businesses in Mexico."""

__version__ = "0.1.0"
