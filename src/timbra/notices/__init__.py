"""Notices: the customer's preview before each scheduled invoice and the business's digest."""
