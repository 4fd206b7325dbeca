"""Pydantic models for every request, response and event payload (the API's contract)."""
