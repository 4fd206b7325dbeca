"""Local stack: DynamoDB Local, moto server, chalice local, the worker, seed data and tokens."""
