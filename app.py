"""Chalice entrypoint: creates the app and wires blueprints, queue consumers and schedules.

Nothing else lives here; every handler is in ``chalicelib``.
"""
from chalice import Chalice

from chalicelib.api import bookings, business, catalogue, customers
from chalicelib.api.auth import auth_blueprint
from chalicelib.api.docs import docs_blueprint

app = Chalice(app_name="memberships")

app.register_blueprint(auth_blueprint)
app.register_blueprint(docs_blueprint)
for module in (business, catalogue, customers, bookings):
    app.register_blueprint(module.api.blueprint)
