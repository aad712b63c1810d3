"""Cryptography adapters: authenticated encryption of stored secrets."""
