"""One use case per module; each owns its units of work, which publish the events of the
orders and payments they stored once they commit (application.events.NewEvents)."""
