"""A control request's optional JSON object body: parsed strictly, so a typo in an option
is a 400 rather than an option silently ignored."""

from typing import Any

import msgspec

from entrypoints.gateway_simulator.errors import InvalidControlRequest


def parse_options(body: bytes, allowed: set[str] | None) -> dict[str, Any]:
    """The options in ``body`` (none when it is empty); ``allowed`` None accepts any key."""
    if not body.strip():
        return {}
    try:
        options = msgspec.json.decode(body)
    except (msgspec.DecodeError, ValueError, RecursionError) as error:  # bad UTF-8, deep nesting
        raise InvalidControlRequest(f"the body is not JSON: {error}") from None
    if not isinstance(options, dict):
        raise InvalidControlRequest("expected a JSON object")
    unknown = sorted(set(options) - allowed) if allowed is not None else []
    if unknown:
        raise InvalidControlRequest(f"unknown option(s): {', '.join(unknown)}")
    return options


def flag(options: dict[str, Any], name: str) -> bool:
    """A boolean option, false when absent; anything but a JSON boolean is refused."""
    value = options.get(name, False)
    if type(value) is not bool:
        raise InvalidControlRequest(f"{name} must be a boolean")
    return value
