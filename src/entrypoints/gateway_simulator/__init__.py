"""What the gateway simulators share: the control API a test drives in place of a payer
(pay, fail, expire, inspect; hold, release, drop callbacks; faults), its option parsing and
its JSON answers. Gateway-neutral: each simulator keeps its own wire format, field names,
signatures and paths, and hands this package only ids, views and callables."""
