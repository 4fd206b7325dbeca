"""Structured JSON logs (Powertools Logger) with a correlation id per request and per queue message."""
from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="memberships")
