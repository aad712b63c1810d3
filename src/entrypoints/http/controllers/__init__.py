"""Thin HTTP controllers: request → command → use case → response."""
