"""Running the bot: settings, live reload, the health and metrics endpoint, log format."""
