"""PynamoDB models (one table per aggregate) and the repositories that map them to domain objects."""
