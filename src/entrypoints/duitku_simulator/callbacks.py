"""Duitku's payment callback: the form it posts and the retrying delivery of it."""

from dataclasses import dataclass
from datetime import timedelta, timezone

from entrypoints.duitku_simulator.config import CallbackSignatureScheme
from entrypoints.duitku_simulator.identifiers import mask_name, random_upper_alnum
from entrypoints.duitku_simulator.signatures import callback_message, sign
from entrypoints.duitku_simulator.store import Transaction
from entrypoints.gateway_simulator.delivery import CallbackPoster, DeliveryAttempt

WIB = timezone(timedelta(hours=7), "WIB")
SHOPEEPAY_ISSUER_CODE = "93600918"
PAID_RESULT_CODE = "00"


@dataclass(frozen=True, slots=True)
class Payer:
    """Who paid a QRIS: their issuer and their (unmasked) account name."""

    issuer_code: str
    name: str


def build_callback_form(
    transaction: Transaction,
    *,
    result_code: str,
    api_key: str,
    scheme: CallbackSignatureScheme,
    payer: Payer | None,
    wrong_signature: bool = False,
) -> dict[str, str]:
    """The ``x-www-form-urlencoded`` fields Duitku posts (API.md §7.2).

    ``payer`` is None for a failure: nobody paid, so issuer, name and settlement date are
    sent empty, as Duitku sends absent optional fields.
    """
    amount = str(transaction.reported_amount)
    signature = sign(
        callback_message(transaction.merchant_code, amount, transaction.merchant_order_id),
        api_key,
        scheme,
    )
    if wrong_signature:
        # Same length and alphabet as a real signature, so only verification catches it.
        signature = sign("not-the-signed-string", api_key, scheme)
    settlement_date = ""
    if payer is not None and transaction.settled_at is not None:
        # Estimated settlement: the next calendar day in Jakarta.
        settled_local = transaction.settled_at.astimezone(WIB)
        settlement_date = (settled_local + timedelta(days=1)).date().isoformat()
    sp_user_hash = ""
    if payer is not None and payer.issuer_code == SHOPEEPAY_ISSUER_CODE:
        sp_user_hash = random_upper_alnum(32).lower()
    return {
        "merchantCode": transaction.merchant_code,
        "amount": amount,
        "merchantOrderId": transaction.merchant_order_id,
        "productDetail": transaction.product_details,
        "additionalParam": transaction.additional_param,
        "paymentCode": transaction.payment_method,
        "resultCode": result_code,
        "merchantUserId": transaction.merchant_user_info,
        "reference": transaction.reference,
        "signature": signature,
        "publisherOrderId": transaction.publisher_order_id,
        "spUserHash": sp_user_hash,
        "settlementDate": settlement_date,
        "issuerCode": payer.issuer_code if payer is not None else "",
        "customerName": mask_name(payer.name) if payer is not None else "",
    }


class CallbackSender(CallbackPoster):
    """Posts callbacks with Duitku's retry rule: up to N attempts until an HTTP 200; Duitku
    stops retrying only on 200 (API.md §7.4), not on any 2xx."""

    def accepts(self, status_code: int) -> bool:
        """Only HTTP 200 stops Duitku's retries."""
        return status_code == 200

    async def deliver(self, url: str, form: dict[str, str]) -> list[DeliveryAttempt]:
        """Post ``form`` to ``url`` until it answers 200 or the attempts run out."""
        return await self.post(url, form=form)
