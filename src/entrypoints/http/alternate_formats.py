"""OpenAPI for a route whose 200 answer comes in more than one format (`?format=`).

Litestar documents one media type per route; a route that also answers CSV or plain text
names this Operation class, which adds those media types (as strings) beside the JSON schema
of its 200 answer, so clients and the fuzz test know every format it sends.
"""

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema


def alternate_formats(*media_types: str) -> type[Operation]:
    """An Operation class whose 200 answer also lists `media_types`, as text."""

    @dataclass
    class OperationWithFormats(Operation):
        def __post_init__(self) -> None:
            ok = (self.responses or {}).get("200")
            if isinstance(ok, OpenAPIResponse):
                content = ok.content if ok.content is not None else {}
                for media_type in media_types:
                    content[media_type] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
                ok.content = content

    return OperationWithFormats
