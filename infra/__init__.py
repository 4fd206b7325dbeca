"""Deployment: what Chalice does not create (see build.py)."""
