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


# --- Service requests ----------------------------------------------------------------------

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
REQUEST_STATUSES = {"open", "closed"}
_DATETIMES = ["requested_datetime", "updated_datetime", "expected_datetime"]
# mySociety's update statuses (lower case going out).
UPDATE_STATUSES = {
    "open",
    "closed",
    "fixed",
    "in_progress",
    "action_scheduled",
    "investigating",
    "duplicate",
    "not_councils_responsibility",
    "no_further_action",
    "internal_referral",
    "reopen",
    "for_triage",
    "planned",
}
UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "description",
    "updated_datetime",
    "media_url",
]


def _optional_number(text: str) -> None:
    if text:
        float(text)


def requests_xml(body: bytes) -> list[dict[str, Any]]:
    """A `<service_requests>` list; each `<request>` has every field of the specification."""
    root = parse_xml(body)
    assert root.tag == "service_requests"
    found = []
    for request in _children(root, "request"):
        item: dict[str, Any] = {name: _text(request, name) for name in REQUEST_FIELDS}
        assert item["service_request_id"], "a request needs its id"
        assert item["status"] in REQUEST_STATUSES, item["status"]
        assert item["service_code"]
        assert ISO_8601.match(item["requested_datetime"]), item["requested_datetime"]
        for name in _DATETIMES[1:]:
            assert not item[name] or ISO_8601.match(item[name]), item[name]
        _optional_number(item["lat"])
        _optional_number(item["long"])
        attributes = request.find("attributes")
        if attributes is not None:
            item["attributes"] = [
                {child.tag: child.text or "" for child in a}
                for a in _children(attributes, "attribute")
            ]
        notes = request.find("notes")
        if notes is not None:
            item["notes"] = [
                {
                    "datetime": _text(n, "datetime"),
                    "description": _text(n, "description"),
                    "type": _text(n, "type"),
                }
                for n in _children(notes, "note")
            ]
            assert all(ISO_8601.match(n["datetime"]) for n in item["notes"])
        found.append(item)
    return found


def requests_json(data: Any) -> list[dict[str, Any]]:
    """A JSON list of requests: ids and codes strings, positions numbers or null, every
    field present."""
    assert isinstance(data, list)
    for item in data:
        for name in REQUEST_FIELDS:
            assert name in item, name
        assert isinstance(item["service_request_id"], str)
        assert isinstance(item["service_code"], str)
        assert item["status"] in REQUEST_STATUSES
        for name in [n for n in REQUEST_FIELDS if n not in {"lat", "long"}]:
            assert item[name] is None or isinstance(item[name], str), (name, item[name])
        for name in ("lat", "long"):
            assert item[name] is None or isinstance(item[name], int | float), item[name]
        assert ISO_8601.match(item["requested_datetime"])
        for name in _DATETIMES[1:]:
            assert item[name] is None or ISO_8601.match(item[name]), item[name]
        for attribute in item.get("attributes", []):
            assert all(isinstance(attribute[k], str) for k in ("label", "name", "code", "value"))
        for note in item.get("notes", []):
            assert ISO_8601.match(note["datetime"]) and isinstance(note["description"], str)
    return data


def created_xml(body: bytes) -> dict[str, str]:
    """The answer to a POST: one `<request>` with its id or its token, the notice and the
    account id."""
    root = parse_xml(body)
    assert root.tag == "service_requests"
    (request,) = _children(root, "request")
    assert (request.find("service_request_id") is None) != (request.find("token") is None)
    item = {child.tag: child.text or "" for child in request}
    assert "service_notice" in item and "account_id" in item
    return item


def created_json(data: Any) -> dict[str, Any]:
    assert isinstance(data, list) and len(data) == 1
    (item,) = data
    assert ("service_request_id" in item) != ("token" in item)
    for name in ("service_request_id", "token"):
        assert name not in item or isinstance(item[name], str)
    assert "service_notice" in item and "account_id" in item
    return item


def token_xml(body: bytes) -> dict[str, str]:
    root = parse_xml(body)
    assert root.tag == "service_requests"
    (request,) = _children(root, "request")
    return {
        "service_request_id": _text(request, "service_request_id"),
        "token": _text(request, "token"),
    }


def token_json(data: Any) -> dict[str, str]:
    assert isinstance(data, list) and len(data) == 1
    (item,) = data
    assert isinstance(item["service_request_id"], str) and isinstance(item["token"], str)
    return item


# --- mySociety's servicerequestupdates -----------------------------------------------------


def updates_xml(body: bytes) -> list[dict[str, str]]:
    root = parse_xml(body)
    assert root.tag == "service_request_updates"
    found = []
    for update in _children(root, "request_update"):
        item = {name: _text(update, name) for name in UPDATE_FIELDS}
        assert item["update_id"] and item["service_request_id"]
        assert item["status"] in UPDATE_STATUSES, item["status"]
        assert ISO_8601.match(item["updated_datetime"])
        external = update.find("external_status_code")
        if external is not None:
            item["external_status_code"] = external.text or ""
        found.append(item)
    return found


def updates_json(data: Any) -> list[dict[str, Any]]:
    assert isinstance(data, list)
    for item in data:
        for name in UPDATE_FIELDS:
            assert isinstance(item[name], str), (name, item.get(name))
        assert item["status"] in UPDATE_STATUSES
        assert ISO_8601.match(item["updated_datetime"])
    return data


def update_received_xml(body: bytes) -> str:
    root = parse_xml(body)
    assert root.tag == "service_request_updates"
    (update,) = _children(root, "request_update")
    return _text(update, "update_id")


def update_received_json(data: Any) -> str:
    assert isinstance(data, list) and len(data) == 1
    assert isinstance(data[0]["update_id"], str)
    return data[0]["update_id"]
