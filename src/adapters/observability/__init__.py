"""Adapters that report what happens: structured event logs."""
