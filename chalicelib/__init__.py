"""Membership backend for booking businesses: groups, offers, memberships, passes, bookings."""
