"""A bare stand-in for Duitku's hosted payment page, so ``paymentUrl`` leads somewhere.

It shows the transaction and offers pay / fail / expire buttons that post to the control
endpoints; a developer clicking through the app locally needs nothing else.
"""

from html import escape
from urllib.parse import quote, urlencode

from entrypoints.duitku_simulator.store import Transaction, TransactionState

_RESULT_CODE_BY_STATE = {
    TransactionState.PAID: "00",
    TransactionState.PENDING: "01",
    TransactionState.FAILED: "02",
    TransactionState.EXPIRED: "02",
}


def return_link(transaction: Transaction) -> str:
    """``returnUrl`` with the query Duitku appends on redirect (API.md §8)."""
    query = urlencode(
        {
            "merchantOrderId": transaction.merchant_order_id,
            "resultCode": _RESULT_CODE_BY_STATE[transaction.state],
            "reference": transaction.reference,
        }
    )
    separator = "&" if "?" in transaction.return_url else "?"
    return f"{transaction.return_url}{separator}{query}"


def render_payment_page(transaction: Transaction) -> str:
    """HTML for one transaction; every interpolated value is escaped."""
    # Relative to .../topup/topupdirectv2.aspx, so it also works when mounted.
    control = f"../control/transactions/{quote(transaction.merchant_order_id, safe='')}"
    buttons = ""
    if transaction.state is TransactionState.PENDING:
        buttons = "".join(
            f'<form method="post" action="{escape(control)}/{action}">'
            f'<button type="submit">{label}</button></form>'
            for action, label in (("pay", "Pay"), ("fail", "Fail"), ("expire", "Expire"))
        )
    back_link = ""
    # Only web links: returnUrl is caller-supplied and could carry a javascript: URL.
    if transaction.return_url.startswith(("http://", "https://")):
        back_link = f'<p><a href="{escape(return_link(transaction))}">Back to merchant</a></p>'
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<title>Duitku simulator</title></head><body>"
        "<h1>Duitku simulator payment page</h1>"
        f"<p>Reference: {escape(transaction.reference)}</p>"
        f"<p>Order: {escape(transaction.merchant_order_id)}</p>"
        f"<p>Amount: IDR {transaction.amount}</p>"
        f"<p>Channel: {escape(transaction.payment_method)}</p>"
        f"<p>State: {escape(transaction.state.value)}</p>"
        f"<p>QRIS: <code>{escape(transaction.qr_string)}</code></p>"
        f"{buttons}"
        f"{back_link}"
        "</body></html>"
    )
