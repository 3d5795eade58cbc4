"""Signpost's directory core: HSDS-shaped data, geocoding, geo search, referrals, imports.

Framework-free: nothing here imports Flask. The web app, the CLI and the benchmarks all call in.
"""
