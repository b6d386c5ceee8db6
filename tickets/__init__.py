"""Tickets: everything that needs a human (complaints, suggestions, observations, callbacks, escalations)."""
