"""The centre's shared core: database and extensions, settings, languages, calendar, messaging."""
