"""Tickets: everything that needs a human (complaints, suggestions, observations, callbacks, escalations).

The ticket store: its models, opening, callbacks, SLA and labels. The agents' desk that works
on them is the `desk` package, above this one.
"""
