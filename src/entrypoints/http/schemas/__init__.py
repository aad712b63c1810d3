"""msgspec request and response schemas of the HTTP API, separate from domain objects."""
