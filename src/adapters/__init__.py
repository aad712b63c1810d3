"""Adapters: implementations of the application's ports (SQL, Duitku, in-memory, system)."""
