"""Ports: what the use cases need from the outside world, as typed Protocols, in one package.

Services import from here and from ``domain``; adapters (``adapters/``) implement these shapes and the
composition root (``bootstrap``) plugs them in. Tests plug in the in-memory fakes of ``tests/fakes``.
One module per area: ``clock``, ``tenancy``, ``catalogue``, ``bookings``, ``groups``, ``passes``,
``memberships``, ``messaging`` (mail, queue, ledgers) and ``payments`` (the payment provider).
"""
