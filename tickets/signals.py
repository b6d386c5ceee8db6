"""What the ticket store tells the packages above it (they connect in their `init_app`)."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

# Sent with the Ticket as sender, and `agent` (the StaffUser) and `closing_words` (the
# resolution note, empty when there is none), whenever a ticket becomes resolved: saved so on
# the desk, or by a callback's outcome (reached, or no more tries). Sent after the change is
# flushed and before the request commits: a receiver adds its work to the same transaction.
ticket_resolved = signals.signal("ticket-resolved")
