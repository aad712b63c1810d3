"""Replacing a container's providers in tests, heard by the very next request.

The container builds the use cases, the reconciler and the gateways by name once per process
(`entrypoints.container.Wiring`). An override alone would reach only what is built after it,
so a test that swaps the gateway or the clock mid-test would still talk to the old one through
a use case built earlier. `replace` overrides and then forgets the built wiring.
"""

from typing import Any

from dependency_injector import providers

from entrypoints.container import Container, forget_wiring


def replace(container: Container, **replacements: Any) -> Container:
    """Override each named provider with the given object (or provider), then forget the built
    wiring, so that the next request builds its use cases from the replacements."""
    for name, replacement in replacements.items():
        provider = getattr(container, name)
        if not isinstance(provider, providers.Provider):
            raise AttributeError(f"the container has no provider {name!r}")
        provider.override(
            replacement
            if isinstance(replacement, providers.Provider)
            else providers.Object(replacement)
        )
    forget_wiring(container)
    return container
