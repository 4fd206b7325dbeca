"""In-memory fakes of the ports, so use cases run in milliseconds without moto (``core``: tenancy,
catalogue, bookings). Install them through ``bootstrap.build(settings(), businesses=..., ...)``."""
