"""Keeping secrets and the network safe: `redaction` (events, logs, errors), `urlguard` (which
addresses a provider or target may reach), `keyenv` (which environment variables a caller may
name as a key), `auth` (the TCP bearer token).
"""
