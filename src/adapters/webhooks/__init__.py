"""Sending the signed webhook feed over HTTP (Standard Webhooks), with its SSRF guard."""
