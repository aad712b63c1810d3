"""One use case per module; each owns its units of work and publishes events after commit."""
