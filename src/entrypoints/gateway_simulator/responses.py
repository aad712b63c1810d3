"""JSON responses with exactly the status given: the control API's, and a gateway's own when
its simulator passes its media type."""

from typing import Any

import msgspec
from litestar import Response

CONTROL_JSON = "application/json"


def json_response(body: Any, status_code: int, media_type: str = CONTROL_JSON) -> Response[bytes]:
    """Encode ``body`` with msgspec and send it with exactly the given status."""
    return Response(msgspec.json.encode(body), status_code=status_code, media_type=media_type)
