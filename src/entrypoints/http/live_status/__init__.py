"""The customer's live status: per-order Server-Sent Events woken across processes."""
