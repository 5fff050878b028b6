"""Athena fixtures: `athena_project` (the project compiled for Athena) is in ../conftest.py,
shared with the reading tests outside this folder."""
