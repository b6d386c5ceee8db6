"""The phone menu: Twilio Voice webhooks, the call flow as data, and a driver that plays Twilio."""
