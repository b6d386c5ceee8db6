"""A by-hand benchmark of the Twilio webhooks (not part of the app; see README.md)."""
