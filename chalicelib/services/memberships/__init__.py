"""Memberships, one small use-case class per job (wired in ``bootstrap``):

``catalogue`` (M1, M2: memberships and price options on Stripe), ``checkout`` (M3: the basket and its
held places), ``completion`` (M4: a paid checkout becomes a member and bookings), ``members`` (M7: staff
and booker actions on a member), ``holds`` (the safety net giving back places of lost checkouts).
What happens after a payment is the lifecycle's (``membership_lifecycle``).
"""
