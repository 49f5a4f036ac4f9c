"""The customer's public pages, reached by signed links (no login): for now, checking the fiscal
data an issuer holds. The full self-service portal (issue: portal) grows from here."""
