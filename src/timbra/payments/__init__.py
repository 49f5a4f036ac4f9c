"""Payment gateways: connections, the verified webhook inbox, and payments turned into invoices."""
