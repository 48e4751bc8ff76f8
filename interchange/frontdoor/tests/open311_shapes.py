"""The GeoReport v2 document shapes, written from the specification, that responses must fit.

Each checker raises AssertionError naming what is wrong. XML lists must repeat their item
element; JSON codes and ids must be strings.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, fromstring

ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
SERVICE_TYPES = {"realtime", "batch", "blackbox"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]


def parse_xml(body: bytes) -> Element:
    text = body.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>'), text[:60]
    return fromstring(body)  # noqa: S314 - our own responses, in a test


def _children(element: Element, tag: str) -> list[Element]:
    assert all(child.tag == tag for child in element), [c.tag for c in element]
    return list(element)


def _text(element: Element, name: str) -> str:
    found = element.find(name)
    assert found is not None, f"<{element.tag}> has no <{name}>"
    return found.text or ""


def _bool_text(value: str) -> None:
    assert value in {"true", "false"}, value


def services_xml(body: bytes) -> list[dict[str, str]]:
    root = parse_xml(body)
    assert root.tag == "services"
    found = []
    for service in _children(root, "service"):
        item = {name: _text(service, name) for name in SERVICE_FIELDS}
        _bool_text(item["metadata"])
        assert item["type"] in SERVICE_TYPES
        groups = service.find("groups")
        assert groups is not None
        item["groups"] = [g.text or "" for g in _children(groups, "group")]  # type: ignore[assignment]
        found.append(item)
    return found


def services_json(data: Any) -> list[dict[str, Any]]:
    assert isinstance(data, list)
    for item in data:
        for name in SERVICE_FIELDS:
            assert name in item, name
        assert isinstance(item["service_code"], str)
        assert isinstance(item["metadata"], bool)
        assert item["type"] in SERVICE_TYPES
        assert isinstance(item["groups"], list)
    return data


def definition_xml(body: bytes) -> dict[str, Any]:
    root = parse_xml(body)
    assert root.tag == "service_definition"
    attributes_el = root.find("attributes")
    assert attributes_el is not None
    attributes = []
    for attribute in _children(attributes_el, "attribute"):
        item: dict[str, Any] = {name: _text(attribute, name) for name in ATTRIBUTE_FIELDS}
        _bool_text(item["variable"])
        _bool_text(item["required"])
        assert item["datatype"] in DATATYPES
        assert item["order"].isdigit()
        values = attribute.find("values")
        if item["datatype"].endswith("valuelist"):
            assert values is not None, "a list attribute needs <values>"
            item["values"] = [
                (_text(v, "key"), _text(v, "name")) for v in _children(values, "value")
            ]
        else:
            assert values is None
        attributes.append(item)
    return {"service_code": _text(root, "service_code"), "attributes": attributes}


def definition_json(data: Any) -> dict[str, Any]:
    assert isinstance(data, dict)
    assert isinstance(data["service_code"], str)
    for attribute in data["attributes"]:
        for name in ATTRIBUTE_FIELDS:
            assert name in attribute, name
        assert isinstance(attribute["code"], str)
        assert isinstance(attribute["variable"], bool) and isinstance(attribute["required"], bool)
        assert isinstance(attribute["order"], int)
        for value in attribute.get("values", []):
            assert isinstance(value["key"], str) and isinstance(value["name"], str)
    return data


def discovery_xml(body: bytes) -> dict[str, Any]:
    root = parse_xml(body)
    assert root.tag == "discovery"
    assert ISO_8601.match(_text(root, "changeset"))
    endpoints_el = root.find("endpoints")
    assert endpoints_el is not None
    endpoints = []
    for endpoint in _children(endpoints_el, "endpoint"):
        assert ISO_8601.match(_text(endpoint, "changeset"))
        formats = endpoint.find("formats")
        assert formats is not None
        endpoints.append(
            {
                "url": _text(endpoint, "url"),
                "specification": _text(endpoint, "specification"),
                "type": _text(endpoint, "type"),
                "formats": [f.text for f in _children(formats, "format")],
            }
        )
    return {"contact": _text(root, "contact"), "endpoints": endpoints}


def errors_xml(body: bytes) -> list[tuple[str, str]]:
    root = parse_xml(body)
    assert root.tag == "errors"
    return [(_text(e, "code"), _text(e, "description")) for e in _children(root, "error")]


def errors_json(data: Any) -> list[tuple[int, str]]:
    assert isinstance(data, list) and data
    for error in data:
        assert isinstance(error["code"], int) and isinstance(error["description"], str)
    return [(e["code"], e["description"]) for e in data]
