"""Chalice entrypoint: creates the app and wires blueprints, queue consumers and schedules.

Nothing else lives here; every handler is in ``chalicelib``.
"""
import os

from chalice import Chalice

from chalicelib.api import (
    bookings,
    business,
    catalogue,
    customer_accounts,
    customers,
    groups,
    memberships,
    passes,
    pauses,
    staff,
    stripe_connect,
    waitlists,
    webhooks,
)
from chalicelib.api import courses as course_routes
from chalicelib.api.auth import auth_blueprint
from chalicelib.api.docs import docs_blueprint

app = Chalice(app_name="memberships")

app.register_blueprint(auth_blueprint)
app.register_blueprint(docs_blueprint)
for module in (business, catalogue, customers, customer_accounts, bookings, groups, passes, memberships, stripe_connect,
               webhooks, staff, waitlists, pauses):
    app.register_blueprint(module.api.blueprint)
app.register_blueprint(course_routes.api.blueprint)


@app.on_sqs_message(queue=os.environ.get("EVENTS_QUEUE_NAME", "memberships-dev-events"), batch_size=10, name="process_events")
def process_events(event):  # type: ignore[no-untyped-def]
    """Stripe events and internal fan-out messages; partial batch failures go back to the queue."""
    from chalicelib.bootstrap import container
    from chalicelib.workers.events import handle_batch

    return handle_batch(event, event.context, container().queue_handlers)


@app.schedule("rate(1 hour)", name="membership_period_ends")
def membership_period_ends(event):  # type: ignore[no-untyped-def]
    """Safety net: members cancelled at period end whose period is over leave even if no webhook came."""
    from chalicelib.bootstrap import container
    from chalicelib.workers.memberships import enqueue_period_ends

    return enqueue_period_ends(container())


@app.schedule("rate(1 hour)", name="membership_pauses")
def membership_pauses(event):  # type: ignore[no-untyped-def]
    """X1: pauses that start, near their end or end today: Stripe pause/resume and the emails, once each."""
    from chalicelib.bootstrap import container
    from chalicelib.workers.memberships import enqueue_pause_steps

    return enqueue_pause_steps(container())


@app.schedule("rate(15 minutes)", name="release_expired_holds")
def release_expired_holds(event):  # type: ignore[no-untyped-def]
    """Safety net: places held for a checkout whose "expired" event never came are given back; entries
    with free places and waiters whose promotion signal was lost get one queued (X2)."""
    from chalicelib.bootstrap import container

    return {"released": container().hold_release.run(), "promotions_queued": container().waitlist_sweep.run()}


@app.schedule("rate(1 hour)", name="reset_usage_periods")
def reset_usage_periods(event):  # type: ignore[no-untyped-def]
    """Move members' stored usage periods forward (bookings never wait for it: they compute periods)."""
    from chalicelib.bootstrap import container

    report = container().usage_periods.run()
    return {"due": report.due, "rolled": report.rolled, "left": report.left, "contended": report.contended}
