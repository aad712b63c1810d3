"""Dict-backed shift and refund repositories that stage writes until their unit of work
commits, with the same rules as the SQL schema: one open shift per staff member, a closed
shift never written again, one refund request per flagged payment."""

from adapters.in_memory.copies import detached
from adapters.in_memory.store import InMemoryStore
from application.errors import ConcurrentUpdate
from domain.refunds import Refund, RefundStatus
from domain.shifts import CashMovement, Shift, ShiftStatus


def _writable(read_only: bool) -> None:
    if read_only:
        raise RuntimeError("write in a read-only unit of work")


class InMemoryShiftRepository:
    """Shifts and their cash movements."""

    def __init__(self, store: InMemoryStore, *, read_only: bool) -> None:
        self._store = store
        self._read_only = read_only
        self.staged: dict[int, Shift] = {}
        self.staged_movements: list[CashMovement] = []

    def _visible(self) -> dict[int, Shift]:
        return {**self._store.shifts, **self.staged}

    async def add(self, shift: Shift) -> None:
        _writable(self._read_only)
        if shift.is_open and await self.find_open(shift.staff_id) is not None:
            raise ConcurrentUpdate(f"{shift.staff_id} already has an open shift")
        shift.assign_id(self._store.next_id("shifts"))
        self.staged[shift.key] = detached(shift)

    async def get(self, shift_id: int, *, for_update: bool = False) -> Shift | None:
        found = self._visible().get(shift_id)
        return detached(found) if found else None

    async def find_open(self, staff_id: str, *, for_update: bool = False) -> Shift | None:
        for shift in self._visible().values():
            if shift.staff_id == staff_id and shift.status is ShiftStatus.OPEN:
                return detached(shift)
        return None

    async def update(self, shift: Shift) -> None:
        _writable(self._read_only)
        current = self._visible().get(shift.key)
        if current is None or current.version != shift.version or not current.is_open:
            raise ConcurrentUpdate(f"shift {shift.id} changed or closed since it was read")
        shift.version += 1
        self.staged[shift.key] = detached(shift)

    async def add_movement(self, movement: CashMovement) -> CashMovement:
        _writable(self._read_only)
        stored = CashMovement(
            id=self._store.next_id("movements"),
            shift_id=movement.shift_id,
            kind=movement.kind,
            amount=movement.amount,
            reason=movement.reason,
            staff_id=movement.staff_id,
            staff_name=movement.staff_name,
            at=movement.at,
        )
        self.staged_movements.append(stored)
        return stored

    async def list_movements(self, shift_id: int) -> list[CashMovement]:
        every = [*self._store.movements, *self.staged_movements]
        return [movement for movement in every if movement.shift_id == shift_id]


class InMemoryRefundRepository:
    """Refund requests."""

    def __init__(self, store: InMemoryStore, *, read_only: bool) -> None:
        self._store = store
        self._read_only = read_only
        self.staged: dict[int, Refund] = {}

    def _visible(self) -> dict[int, Refund]:
        return {**self._store.refunds, **self.staged}

    async def add(self, refund: Refund) -> None:
        _writable(self._read_only)
        if refund.flagged and await self.find_flagged(refund.payment_uid) is not None:
            raise ConcurrentUpdate(f"payment {refund.payment_uid} already has a refund request")
        refund.assign_id(self._store.next_id("refunds"))
        self.staged[refund.key] = detached(refund)

    async def get(self, refund_id: int, *, for_update: bool = False) -> Refund | None:
        found = self._visible().get(refund_id)
        return detached(found) if found else None

    async def update(self, refund: Refund) -> None:
        _writable(self._read_only)
        current = self._visible().get(refund.key)
        if current is None or current.version != refund.version:
            raise ConcurrentUpdate(f"refund {refund.id} changed since it was read")
        refund.version += 1
        self.staged[refund.key] = detached(refund)

    async def list_for_order(self, order_id: int) -> list[Refund]:
        return [
            detached(refund)
            for _, refund in sorted(self._visible().items())
            if refund.order_id == order_id
        ]

    async def find_flagged(self, payment_uid: str) -> Refund | None:
        for refund in self._visible().values():
            if refund.flagged and refund.payment_uid == payment_uid:
                return detached(refund)
        return None

    async def list(self, *, status: RefundStatus | None = None, limit: int = 100) -> list[Refund]:
        chosen = [
            refund
            for _, refund in sorted(self._visible().items(), reverse=True)
            if status is None or refund.status is status
        ]
        return [detached(refund) for refund in chosen[:limit]]
