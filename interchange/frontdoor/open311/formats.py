"""Open311 documents in XML and JSON from one description.

A document is plain Python data shaped like the JSON form (dicts, lists, strings, numbers,
booleans, None). XML needs the names of list items, since the specification repeats an
element for each item (`<services><service>…</service><service>…`), so every list is a
`Many(item_name, items)`; in JSON it is just the list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from django.http import HttpResponse

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class Many:
    """A list whose items are each an `item` element in XML."""

    item: str
    items: list[Any]


def _xml_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: Element, value: Any) -> None:
    if isinstance(value, Many):
        for item in value.items:
            _fill(SubElement(parent, value.item), item)
    elif isinstance(value, dict):
        for name, child in value.items():
            _fill(SubElement(parent, name), child)
    else:
        parent.text = _xml_text(value)


def to_xml(root: str, document: Any) -> str:
    """The document as an XML string under `root`, declared UTF-8."""
    element = Element(root)
    _fill(element, document)
    return XML_DECLARATION + tostring(element, encoding="unicode")


def _items(value: Any) -> list[Any]:
    """A `Many` in JSON is just its list (the encoder asks only for what it cannot write)."""
    if isinstance(value, Many):
        return value.items
    raise TypeError(f"{type(value).__name__} is not part of an Open311 document")


def to_json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, default=_items)


def respond(
    fmt: str,
    root: str,
    document: Any,
    *,
    status: int = 200,
    charset: bool = True,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """An HTTP response in `fmt` ("xml" or "json"). Discovery passes charset=False: strict
    validators reject a charset suffix on its content type."""
    if fmt == "json":
        body, content_type = to_json(document), "application/json"
    else:
        body, content_type = to_xml(root, document), "text/xml"
    if charset:
        content_type += "; charset=utf-8"
    return HttpResponse(
        body.encode("utf-8"), status=status, content_type=content_type, headers=headers
    )


def errors(
    fmt: str,
    problems: list[tuple[int, str]],
    *,
    status: int,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """The specification's error document listing every problem at once."""
    document = Many("error", [{"code": code, "description": text} for code, text in problems])
    return respond(fmt, "errors", document, status=status, headers=headers)


def problems_of(field_errors: dict[str, list[str]], *, code: int = 400) -> list[tuple[int, str]]:
    """Errors by parameter as the error document's (code, "parameter: message") pairs."""
    return [
        (code, f"{name}: {message}")
        for name, messages in field_errors.items()
        for message in messages
    ]
