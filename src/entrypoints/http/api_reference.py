"""The API reference page at /schema, rendered on the server: no script, no CDN.

Litestar's UI plugins (Swagger UI, ReDoc, Scalar, ...) load their JavaScript and CSS from
public CDNs, which a restaurant LAN may not reach, and inline the document in a script that
a strict Content-Security-Policy forbids. This page lists every operation of the OpenAPI
document as plain HTML (method, path, summary, who may call it, what it answers) and links
the machine-readable document (/schema/openapi.json, /schema/openapi.yaml) for tools.
"""

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

METHODS = ("get", "post", "put", "patch", "delete")


class ApiReferencePage(OpenAPIRenderPlugin):
    """Serves the reference page at the OpenAPI root path."""

    def __init__(self) -> None:
        super().__init__(path="/", favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        info = openapi_schema.get("info", {})
        title = escape(str(info.get("title", "API")))
        parts = [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{title} API</title></head><body>",
            f"<h1>{title} {escape(str(info.get('version', '')))}</h1>",
            f"<p>{escape(str(info.get('description', '')))}</p>",
            "<p>Machine-readable: <a href='openapi.json'>openapi.json</a>, ",
            "<a href='openapi.yaml'>openapi.yaml</a>.</p>",
        ]
        for path, item in sorted(openapi_schema.get("paths", {}).items()):
            for method in METHODS:
                if method in item:
                    parts.append(_operation(method, path, item[method]))
        parts.append("</body></html>")
        return "".join(parts).encode()


def _operation(method: str, path: str, operation: Mapping[str, Any]) -> str:
    security = _names(scheme for entry in operation.get("security", []) for scheme in entry)
    statuses = "".join(
        f"<li>{escape(str(status))}: {escape(str(response.get('description', '')))}</li>"
        for status, response in sorted(operation.get("responses", {}).items())
    )
    return (
        f"<section><h2><code>{method.upper()} {escape(path)}</code></h2>"
        f"<p>{escape(str(operation.get('summary', '')))}</p>"
        + (f"<p>{escape(str(operation['description']))}</p>" if "description" in operation else "")
        + (f"<p>Credentials: {security}</p>" if security else "")
        + f"<ul>{statuses}</ul></section>"
    )


def _names(names: Iterable[str]) -> str:
    return " or ".join(escape(name) for name in dict.fromkeys(names))
