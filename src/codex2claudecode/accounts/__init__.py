"""Accounts, provider-neutral: atomic credential files and locks, the pool that picks an account
per request, limit snapshots, and the refresh discipline every provider's tokens follow. Each
provider's own account stores and sign-in flows live with its backend (`backends.<provider>`)."""
