"""Safety checks that run before anything else the assistant does."""
