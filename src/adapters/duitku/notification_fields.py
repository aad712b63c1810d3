"""Every field name a Duitku callback may carry (API.md §7.2).

A notification that fails verification is stored with these fields only: whatever else a
forger sends is dropped. Fields a genuine callback adds later are kept on verified ones.
"""

NOTIFICATION_FIELDS = frozenset(
    {
        "merchantCode",
        "amount",
        "merchantOrderId",
        "productDetail",
        "additionalParam",
        "paymentCode",
        "resultCode",
        "merchantUserId",
        "reference",
        "signature",
        "publisherOrderId",
        "spUserHash",
        "settlementDate",
        "issuerCode",
        "customerName",
        "sourceAccount",
        # card-only (POP docs)
        "bankAppCode",
        "bankOrderId",
        "bankRespCode",
        "bankRespMsg",
        "cardName",
        "cardType",
        "maskedNumber",
        "tokenId",
        "transactionState",
        "transactionStateStatus",
        "merchantCustomerId",
        "expiryDate",
    }
)
