"""Shift and refund repositories over an AsyncConnection (tables in tables_drawer.py).

As in repositories.py: explicit Core statements, inserts with `ON CONFLICT DO NOTHING` (a
clash with a partial unique index becomes ConcurrentUpdate and leaves the transaction
usable), and conditional updates on the version read. A shift's update also requires the row
to be open, so a cash payment racing a close never writes into the closed drawer: it matches
no row, and its use case runs again and finds no open shift.
"""

import builtins
import dataclasses
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from adapters.sqlalchemy.repositories import SqlAlchemyRepository, insert_unless_conflict
from adapters.sqlalchemy.tables_drawer import refunds, shift_cash_movements, shifts
from application.errors import ConcurrentUpdate
from domain.payments import PaymentMethod
from domain.refunds import Refund, RefundLine, RefundStatus
from domain.shifts import CashMovement, CashMovementKind, Shift, ShiftStatus

_SHIFT_FIELDS = (
    "staff_id",
    "staff_name",
    "opening_float",
    "opened_at",
    "cash_payments",
    "cash_payments_count",
    "cash_refunds",
    "cash_refunds_count",
    "paid_in",
    "paid_out",
    "closed_at",
    "closed_by",
    "closed_by_name",
    "force_closed",
    "counted_cash",
    "expected_at_close",
    "note",
)
_SHIFT_COLUMNS = [shifts.c[name] for name in ("id", "status", "version", *_SHIFT_FIELDS)]
_SHIFT_MUTABLE = tuple(n for n in _SHIFT_FIELDS if n not in {"staff_id", "staff_name", "opened_at"})
_MOVEMENT_FIELDS = ("shift_id", "amount", "reason", "staff_id", "staff_name", "at")
_REFUND_FIELDS = (
    "order_id",
    "payment_uid",
    "amount",
    "reason",
    "requested_by",
    "requested_by_name",
    "requested_at",
    "flagged",
    "decided_by",
    "decided_by_name",
    "decided_at",
    "decision_note",
    "shift_id",
    "reference",
)
_REFUND_MUTABLE = (
    "decided_by",
    "decided_by_name",
    "decided_at",
    "decision_note",
    "shift_id",
    "reference",
)
_REFUND_COLUMNS = [
    refunds.c[name] for name in ("id", "status", "method", "lines", "version", *_REFUND_FIELDS)
]

_INSERT_SHIFT = {name: insert_unless_conflict(name, shifts) for name in ("postgresql", "sqlite")}
_SELECT_SHIFT = select(*_SHIFT_COLUMNS).where(shifts.c.id == bindparam("key_id"))
_SELECT_OPEN_SHIFT = select(*_SHIFT_COLUMNS).where(
    shifts.c.staff_id == bindparam("staff_id"), shifts.c.status == ShiftStatus.OPEN.value
)
_UPDATE_SHIFT = (
    update(shifts)
    .where(
        shifts.c.id == bindparam("key_id"),
        shifts.c.version == bindparam("read_version"),
        shifts.c.status == ShiftStatus.OPEN.value,
    )
    .values(version=shifts.c.version + 1)
)
_INSERT_MOVEMENT = insert(shift_cash_movements).returning(shift_cash_movements.c.id)
_SELECT_MOVEMENTS = (
    select(shift_cash_movements)
    .where(shift_cash_movements.c.shift_id == bindparam("shift_id"))
    .order_by(shift_cash_movements.c.id)
)
_INSERT_REFUND = {name: insert_unless_conflict(name, refunds) for name in ("postgresql", "sqlite")}
_SELECT_REFUND = select(*_REFUND_COLUMNS).where(refunds.c.id == bindparam("key_id"))
_UPDATE_REFUND = (
    update(refunds)
    .where(refunds.c.id == bindparam("key_id"), refunds.c.version == bindparam("read_version"))
    .values(version=refunds.c.version + 1)
)


def _shift_from_row(row: Any) -> Shift:
    return Shift(
        id=row["id"],
        status=ShiftStatus(row["status"]),
        version=row["version"],
        **{name: row[name] for name in _SHIFT_FIELDS},
    )


def _shift_values(shift: Shift, names: tuple[str, ...]) -> dict[str, Any]:
    values = {name: getattr(shift, name) for name in names}
    values["status"] = shift.status.value
    return values


def _refund_from_row(row: Any) -> Refund:
    return Refund(
        id=row["id"],
        status=RefundStatus(row["status"]),
        method=PaymentMethod(row["method"]),
        lines=tuple(RefundLine(int(no), int(quantity)) for no, quantity in row["lines"]),
        version=row["version"],
        **{name: row[name] for name in _REFUND_FIELDS},
    )


def _refund_values(refund: Refund, names: tuple[str, ...]) -> dict[str, Any]:
    values = {name: getattr(refund, name) for name in names}
    values["status"] = refund.status.value
    return values


class SqlAlchemyShiftRepository(SqlAlchemyRepository):
    """Shifts and their paid-ins/paid-outs."""

    async def add(self, shift: Shift) -> None:
        values = {**_shift_values(shift, _SHIFT_FIELDS), "version": shift.version}
        result = await self._write(_INSERT_SHIFT[self._dialect], values, "shift")
        shift_id = result.scalar()
        if shift_id is None:
            raise ConcurrentUpdate(f"{shift.staff_id} already has an open shift")
        shift.assign_id(shift_id)

    async def get(self, shift_id: int, *, for_update: bool = False) -> Shift | None:
        statement = _SELECT_SHIFT.with_for_update() if for_update else _SELECT_SHIFT
        row = (await self._run(statement, {"key_id": shift_id})).first()
        return _shift_from_row(row._mapping) if row else None

    async def find_open(self, staff_id: str, *, for_update: bool = False) -> Shift | None:
        statement = _SELECT_OPEN_SHIFT.with_for_update() if for_update else _SELECT_OPEN_SHIFT
        row = (await self._run(statement, {"staff_id": staff_id})).first()
        return _shift_from_row(row._mapping) if row else None

    async def update(self, shift: Shift) -> None:
        params = {
            **_shift_values(shift, _SHIFT_MUTABLE),
            "key_id": shift.key,
            "read_version": shift.version,
        }
        await self._update(_UPDATE_SHIFT, params, f"shift {shift.key}")
        shift.version += 1

    async def add_movement(self, movement: CashMovement) -> CashMovement:
        values = {name: getattr(movement, name) for name in _MOVEMENT_FIELDS}
        values["kind"] = movement.kind.value
        result = await self._write(_INSERT_MOVEMENT, values, "cash movement")
        return dataclasses.replace(movement, id=result.scalar_one())

    async def list_movements(self, shift_id: int) -> builtins.list[CashMovement]:
        result = await self._run(_SELECT_MOVEMENTS, {"shift_id": shift_id})
        return [
            CashMovement(
                id=row.id,
                kind=CashMovementKind(row.kind),
                **{name: row._mapping[name] for name in _MOVEMENT_FIELDS},
            )
            for row in result
        ]


class SqlAlchemyRefundRepository(SqlAlchemyRepository):
    """Refund requests."""

    async def add(self, refund: Refund) -> None:
        values = {
            **_refund_values(refund, _REFUND_FIELDS),
            "method": refund.method.value,
            "lines": [[line.line_no, line.quantity] for line in refund.lines],
            "version": refund.version,
        }
        result = await self._write(_INSERT_REFUND[self._dialect], values, "refund")
        refund_id = result.scalar()
        if refund_id is None:
            raise ConcurrentUpdate(f"payment {refund.payment_uid} already has a refund request")
        refund.assign_id(refund_id)

    async def get(self, refund_id: int, *, for_update: bool = False) -> Refund | None:
        statement = _SELECT_REFUND.with_for_update() if for_update else _SELECT_REFUND
        row = (await self._run(statement, {"key_id": refund_id})).first()
        return _refund_from_row(row._mapping) if row else None

    async def update(self, refund: Refund) -> None:
        params = {
            **_refund_values(refund, _REFUND_MUTABLE),
            "key_id": refund.key,
            "read_version": refund.version,
        }
        await self._update(_UPDATE_REFUND, params, f"refund {refund.key}")
        refund.version += 1

    async def _many(self, statement: Any) -> builtins.list[Refund]:
        return [_refund_from_row(row._mapping) for row in await self._run(statement)]

    async def list_for_order(self, order_id: int) -> builtins.list[Refund]:
        statement = select(*_REFUND_COLUMNS).where(refunds.c.order_id == order_id)
        return await self._many(statement.order_by(refunds.c.id))

    async def find_flagged(self, payment_uid: str) -> Refund | None:
        statement = select(*_REFUND_COLUMNS).where(
            refunds.c.payment_uid == payment_uid, refunds.c.flagged.is_(True)
        )
        found = await self._many(statement.limit(1))
        return found[0] if found else None

    async def list(
        self, *, status: RefundStatus | None = None, limit: int = 100
    ) -> builtins.list[Refund]:
        statement = select(*_REFUND_COLUMNS).order_by(refunds.c.id.desc()).limit(limit)
        if status is not None:
            statement = statement.where(refunds.c.status == status.value)
        return await self._many(statement)
