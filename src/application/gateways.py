"""The payment gateways kasir is configured with, by name.

Every attempt records the name of the gateway that issued it, and everything that asks about
an attempt later (status checks, the check before cash, notifications) goes to that gateway,
whichever one issues new attempts now. A name is opaque to the application: "duitku" is just
the name the composition root gives the Duitku adapter.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from application.gateway import PaymentGateway

DUITKU = "duitku"  # the name of every attempt issued before attempts recorded their gateway


class UnknownGateway(LookupError):
    """An attempt names a gateway this process is not configured with."""


@dataclass(frozen=True, slots=True)
class Gateways:
    """Gateways by name; `default` issues new attempts.

    With `fallback`, the gateway configured after the one that provably created nothing
    (`by_name` order) may issue the order's QR instead (see StartQrisPayment); off by default.
    """

    by_name: Mapping[str, PaymentGateway]
    default: str
    fallback: bool = False
    _frozen: Mapping[str, PaymentGateway] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.default not in self.by_name:
            raise UnknownGateway(f"the default gateway {self.default!r} is not configured")
        object.__setattr__(self, "_frozen", MappingProxyType(dict(self.by_name)))

    @classmethod
    def only(cls, gateway: PaymentGateway, name: str = DUITKU) -> "Gateways":
        """One gateway, issuing every attempt."""
        return cls({name: gateway}, default=name)

    @property
    def issuing(self) -> PaymentGateway:
        """The gateway that issues new attempts."""
        return self._frozen[self.default]

    def fallback_after(self, name: str | None) -> str | None:
        """The gateway that may issue an attempt when `name` provably created nothing: the
        next one configured after it, once (never back to the default); None without
        fallback, or when `name` is the last one."""
        if not self.fallback:
            return None
        names = list(self._frozen)
        issued_by = name or self.default
        if issued_by not in names:
            return None
        following = names[names.index(issued_by) + 1 :]
        return following[0] if following else None

    def named(self, name: str | None) -> PaymentGateway:
        """The gateway called `name`; None (an attempt without one: cash) is the default."""
        try:
            return self._frozen[name or self.default]
        except KeyError:
            raise UnknownGateway(f"no gateway named {name!r} is configured") from None
