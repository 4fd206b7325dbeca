"""Benchmarks: cold start (``cold_start``) and DynamoDB calls per API operation (``dynamodb_calls``)."""
