"""Which Duitku callback fields carry the payer's personal data (API.md §7.2).

None of them is covered by the callback signature, so masking them changes no verification.
"""

PERSONAL_DATA_FIELDS = frozenset(
    {
        "customerName",  # QRIS payer account name or phone, since Jun 2026
        "merchantUserId",  # echo of merchantUserInfo: the customer's username or e-mail
        "spUserHash",  # ShopeePay user hash
        "additionalParam",  # free text echoed back; may hold anything
        "sourceAccount",
        "maskedNumber",
        "cardName",
        "tokenId",
        "merchantCustomerId",
    }
)
