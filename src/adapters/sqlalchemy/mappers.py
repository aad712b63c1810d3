"""Pure conversions between table rows and domain objects. No I/O, no session.

Rows come in as mappings (`Row._mapping`), values go out as plain dicts of column values. The
payment lease columns are never produced or read here: the domain does not know them.
"""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from application.inbox import InboxEntry, Verification
from domain.menu import MenuItem
from domain.orders import Order, OrderLine, OrderStatus
from domain.payments import ClosedReason, Payment, PaymentMethod, PaymentStatus

# A row as a mapping (`Row._mapping`); keyed by column name.
Row = Mapping[Any, Any]

# Payment fields that are copied one to one between the domain object and the row.
_PAYMENT_FIELDS = (
    "order_uid",
    "order_id",
    "amount",
    "created_at",
    "updated_at",
    "gateway",
    "gateway_reference",
    "qr_string",
    "payment_url",
    "expires_at",
    "paid_at",
    "status_reason",
    "cash_tendered",
    "change_due",
    "taken_by",
    "refund_required_at",
    "refund_reason",
    "refund_resolved_at",
    "refund_resolved_by",
    "refund_note",
    "amount_received",
    "shift_id",
)
# Columns a payment update may change (the key, order, method, amount, gateway and creation
# never do).
_PAYMENT_MUTABLE = tuple(
    name
    for name in (*_PAYMENT_FIELDS, "status", "closed_reason")
    if name not in {"order_uid", "order_id", "amount", "gateway", "created_at", "shift_id"}
)
PAYMENT_COLUMNS = (*_PAYMENT_FIELDS, "method", "status", "closed_reason", "version")
# The label prefix of payment columns read beside an order's (`prefixed_payment_from_row`).
PAYMENT_PREFIX = "payment_"
PAYMENT_CHANGES = _PAYMENT_MUTABLE  # the keys of `payment_changes`

# What processing and review of a stored notification may change.
_INBOX_MUTABLE = (
    "signature_scheme",
    "outcome",
    "detail",
    "processed_at",
    "needs_review",
    "reviewed_at",
    "reviewed_by",
    "review_note",
)
_INBOX_RECEIVED = (
    "received_at",
    "gateway",
    "source_address",
    "order_uid",
    "signature",
    "personal_data_removed_at",
)
INBOX_COLUMNS = ("id", "fields", "verification", *_INBOX_RECEIVED, *_INBOX_MUTABLE)

_ORDER_FIELDS = (
    "table_number",
    "customer_name",
    "access_token_hash",
    "placed_at",
    "paid_at",
    "paid_by",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
    "refund_reserved",
)
_ORDER_MUTABLE = (
    "status",
    "paid_at",
    "paid_by",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
    "refund_reserved",
)
ORDER_COLUMNS = ("id", "status", "version", *_ORDER_FIELDS)
ORDER_CHANGES = _ORDER_MUTABLE  # the keys of `order_changes`
# Attributes whose column has another name: an attempt's id is attempt_id in code and
# order_uid in the database (and on the wire); an order's paying attempt keeps the
# older, shorter column name paid_by.
_ATTRIBUTE = {"order_uid": "attempt_id", "paid_by": "paid_by_attempt"}
ORDER_LINE_COLUMNS = ("order_id", "position", "menu_item_id", "name", "unit_price", "quantity")
# An order read by id carries its lines as a JSON array of these arrays, under this label.
ORDER_LINE_JSON = ("position", "menu_item_id", "name", "unit_price", "quantity")
ORDER_LINES_LABEL = "lines_json"
MENU_ITEM_COLUMNS = ("id", "name", "price", "available")


def menu_item_from_row(row: Row) -> MenuItem:
    return MenuItem(id=row["id"], name=row["name"], price=row["price"], available=row["available"])


def menu_item_values(item: MenuItem) -> dict[str, Any]:
    """Column values of a menu item, without its id."""
    return {"name": item.name, "price": item.price, "available": item.available}


def order_from_rows(row: Row, line_rows: Iterable[Row]) -> Order:
    """An order from its row and its line rows (in position order). Events start empty."""
    lines = tuple(
        OrderLine(
            menu_item_id=line["menu_item_id"],
            name=line["name"],
            unit_price=line["unit_price"],
            quantity=line["quantity"],
        )
        for line in line_rows
    )
    return Order(
        id=row["id"],
        lines=lines,
        status=OrderStatus(row["status"]),
        version=row["version"],
        **{_ATTRIBUTE.get(name, name): row[name] for name in _ORDER_FIELDS},
    )


def order_from_row_with_lines(row: Row) -> Order:
    """An order from its row whose `ORDER_LINES_LABEL` column holds its lines as JSON (NULL
    or `[]` for none; the array's order is not relied on, the positions are)."""
    encoded = row[ORDER_LINES_LABEL]
    arrays = sorted(json.loads(encoded)) if encoded else []
    return order_from_rows(row, (dict(zip(ORDER_LINE_JSON, line, strict=True)) for line in arrays))


def order_values(order: Order) -> dict[str, Any]:
    """Column values of a new order row (without its id, which the database assigns)."""
    values = {name: getattr(order, _ATTRIBUTE.get(name, name)) for name in _ORDER_FIELDS}
    values.update(status=order.status.value, total=order.total, version=order.version)
    return values


def order_line_values(order_id: int, order: Order) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "position": position,
            "menu_item_id": line.menu_item_id,
            "name": line.name,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
        }
        for position, line in enumerate(order.lines)
    ]


def order_changes(order: Order) -> dict[str, Any]:
    """What an order update writes; the lines and the placing details never change."""
    values = {name: getattr(order, _ATTRIBUTE.get(name, name)) for name in _ORDER_MUTABLE}
    values["status"] = order.status.value
    return values


def payment_from_row(row: Row) -> Payment:
    return Payment(
        method=PaymentMethod(row["method"]),
        status=PaymentStatus(row["status"]),
        closed_reason=ClosedReason(row["closed_reason"]) if row["closed_reason"] else None,
        version=row["version"],
        **{_ATTRIBUTE.get(name, name): row[name] for name in _PAYMENT_FIELDS},
    )


def prefixed_payment_from_row(row: Row) -> Payment | None:
    """The attempt in a row whose payment columns carry PAYMENT_PREFIX; None when the row
    has none (an order without attempts, outer-joined)."""
    if row[f"{PAYMENT_PREFIX}order_uid"] is None:
        return None
    return payment_from_row({name: row[f"{PAYMENT_PREFIX}{name}"] for name in PAYMENT_COLUMNS})


def payment_values(payment: Payment) -> dict[str, Any]:
    """Column values of a new payment row (the lease columns keep their defaults)."""
    values = {name: getattr(payment, _ATTRIBUTE.get(name, name)) for name in _PAYMENT_FIELDS}
    values.update(
        method=payment.method.value,
        status=payment.status.value,
        closed_reason=_closed_reason(payment),
        version=payment.version,
    )
    return values


def payment_changes(payment: Payment) -> dict[str, Any]:
    """What a payment update writes: its state, never its key, order, method or amount."""
    values = {name: getattr(payment, _ATTRIBUTE.get(name, name)) for name in _PAYMENT_MUTABLE}
    values["status"] = payment.status.value
    values["closed_reason"] = _closed_reason(payment)
    return values


def _closed_reason(payment: Payment) -> str | None:
    return payment.closed_reason.value if payment.closed_reason else None


def inbox_entry_from_row(row: Row) -> InboxEntry:
    return InboxEntry(
        id=row["id"],
        fields=dict(row["fields"]),
        verification=Verification(row["verification"]),
        **{_ATTRIBUTE.get(name, name): row[name] for name in (*_INBOX_RECEIVED, *_INBOX_MUTABLE)},
    )


def inbox_entry_values(entry: InboxEntry) -> dict[str, Any]:
    """Column values of a new inbox row (without its id)."""
    values = {
        name: getattr(entry, _ATTRIBUTE.get(name, name))
        for name in (*_INBOX_RECEIVED, *_INBOX_MUTABLE)
    }
    values.update(fields=dict(entry.fields), verification=entry.verification.value)
    return values


def inbox_entry_changes(entry: InboxEntry) -> dict[str, Any]:
    """What an inbox update writes: the verification, processing and review, never the
    notification as received."""
    values = {name: getattr(entry, _ATTRIBUTE.get(name, name)) for name in _INBOX_MUTABLE}
    values["verification"] = entry.verification.value
    return values
