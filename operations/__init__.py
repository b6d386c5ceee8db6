"""Running the centre: what spans the domains (hours and notices pages, setup, demo data, privacy)."""
