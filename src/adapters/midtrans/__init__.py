"""Midtrans Core API (QRIS) behind kasir's PaymentGateway port: charge, status, cancel and
JSON notifications signed with SHA-512. Its field names never leave this package."""
