"""kasir's domain: orders, payments and their rules. Standard library only, synchronous."""
