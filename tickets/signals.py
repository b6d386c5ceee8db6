"""What the ticket store tells the packages above it (they connect in their `init_app`)."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

# Sent with the Ticket as sender, and `agent` (the StaffUser) and `closing_words` (the
# resolution note, empty when there is none), whenever a ticket becomes resolved: saved so on
# the desk, or by a callback's outcome (reached, or no more tries). Sent after the change is
# flushed and before the request commits: a receiver adds its work to the same transaction.
ticket_resolved = signals.signal("ticket-resolved")

# Sent with the Session as sender and `created_at` (the ticket's, as stored) when a statement
# sent without the ORM changed a ticket (a recording attached in one statement): the ORM's
# flush events do not see it, so the reports mark the ticket's day from this.
ticket_changed_by_statement = signals.signal("ticket-changed-by-statement")
