"""A new service request through Open311: reading the POST body (form-encoded or multipart)
into a checked report, every problem listed at once, and opening its ticket at the resident
reports' starting priority (`frontdoor.reports`).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interchange.accounts.models import ApiKey
from interchange.catalogue.models import Service
from interchange.catalogue.selectors import offered_service_with_questions, service_questions
from interchange.catalogue.services import validate_answers
from interchange.frontdoor.models import Open311Request
from interchange.frontdoor.open311.params import Invalid, Problems
from interchange.frontdoor.reports import RESIDENT_IMPACT, RESIDENT_URGENCY
from interchange.servicedesk.attachments import max_bytes, prepare_upload
from interchange.servicedesk.errors import TicketValidationError
from interchange.servicedesk.models import Attachment, Channel, ContactPreference, TicketType
from interchange.servicedesk.services import ticket_attach, ticket_open

# FixMyStreet's way of saying the reporter did not put a pin on the map.
NOT_PINPOINTED = "#NOTPINPOINTED#"
# Attributes FixMyStreet adds of its own accord: kept out of the answers unless the service
# asks a question with that code. `title` becomes the ticket's title.
CLIENT_ATTRIBUTES = frozenset(
    {"fixmystreet_id", "title", "report_url", "easting", "northing", "closest_address"}
)
MAX_FILES = 5
MAX_DESCRIPTION = 10_000
TITLE_LENGTH = 200
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_FILE_FIELD = re.compile(r"^(media|photo\d*)$")


class ReportForm(forms.Form):
    """The specification's scalar POST parameters: the input schema of a new request."""

    service_code = forms.CharField(max_length=50)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    long = forms.FloatField(required=False, min_value=-180, max_value=180)
    address_string = forms.CharField(required=False, max_length=500)
    address_id = forms.CharField(required=False, max_length=50)
    email = forms.EmailField(required=False)
    first_name = forms.CharField(required=False, max_length=100)
    last_name = forms.CharField(required=False, max_length=100)
    phone = forms.CharField(required=False, max_length=40)
    description = forms.CharField(required=False, max_length=MAX_DESCRIPTION)
    account_id = forms.CharField(required=False, max_length=100)
    device_id = forms.CharField(required=False, max_length=100)
    media_url = forms.URLField(required=False, max_length=1000, assume_scheme="https")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sent = {
            name: bool((self.data.get(name) or "").strip())
            for name in ("lat", "long", "address_string", "address_id")
        }
        if sent["lat"] != sent["long"]:
            self.add_error(None, str(_LAT_LONG_TOGETHER))
        if not ((sent["lat"] and sent["long"]) or sent["address_string"] or sent["address_id"]):
            self.add_error(None, str(_LOCATION_REQUIRED))
        return data


_LAT_LONG_TOGETHER = gettext_lazy("lat and long: give both, or neither.")
_LOCATION_REQUIRED = gettext_lazy(
    "Give the location: lat and long, address_string, or address_id "
    "(#NOTPINPOINTED# when the reporter did not use a map)."
)


@dataclass(frozen=True)
class Upload:
    field: str
    name: str
    data: bytes


@dataclass(frozen=True)
class Report:
    """A checked new request, ready to open."""

    service: Service
    title: str
    fields: dict[str, Any]
    answers: dict[str, object]
    uploads: list[Upload]
    account_id: str
    device_id: str
    media_url: str


def read_report(post: QueryDict, files: MultiValueDict[str, UploadedFile]) -> Report:
    """The report in a POST body, or Invalid with every problem by parameter name."""
    problems = Problems()
    form = ReportForm(post)
    form.is_valid()
    for name, messages in form.errors.items():
        for message in messages:
            # Errors about several fields name them in the message itself.
            problems.add("" if name == "__all__" else name, str(message))
    code = (post.get("service_code") or "").strip()
    # The service with its questions and their choices, in one query read fresh each time.
    service = offered_service_with_questions(code, open311=True) if code else None
    if code and service is None:
        problems.add("service_code", _("There is no service with code %(code)s.") % {"code": code})
    raw_answers = _attributes(post)
    client_extras = {
        c: raw_answers.pop(c)
        for c in list(raw_answers)
        if c in CLIENT_ATTRIBUTES and service is not None and not _asks(service, c)
    }
    answers: dict[str, object] = {}
    if service is not None:
        try:
            answers = validate_answers(service, raw_answers)
        except ValidationError as exc:
            for question_code, errors in exc.message_dict.items():
                for message in errors:
                    problems.add(f"attribute[{question_code}]", message)
    uploads = _uploads(files, problems)
    problems.raise_any()
    assert service is not None
    data = form.cleaned_data
    return Report(
        service=service,
        title=_title(service, data["description"], client_extras.get("title")),
        fields=_ticket_fields(data),
        answers=answers,
        uploads=uploads,
        account_id=data["account_id"].strip(),
        device_id=data["device_id"].strip(),
        media_url=data["media_url"],
    )


def _asks(service: Service, code: str) -> bool:
    # Loaded once and kept on the service, which validate_answers then reads again for free.
    return any(question.code == code for question in service_questions(service))


def _attributes(post: QueryDict) -> dict[str, object]:
    """`attribute[code]=v` and `attribute[code][]=v1&attribute[code][]=v2` by code; a plain
    one sent more than once is a list too."""
    found: dict[str, object] = {}
    for name in post:
        match = _ATTRIBUTE.match(name)
        if match is None:
            continue
        code, as_list = match[1], bool(match[2])
        values = post.getlist(name)
        earlier = found.get(code)
        if earlier is not None:
            earlier_list = earlier if isinstance(earlier, list) else [earlier]
            found[code] = [*earlier_list, *values]
        elif as_list or len(values) > 1:
            found[code] = list(values)
        else:
            found[code] = values[0]
    return found


def _uploads(files: MultiValueDict[str, UploadedFile], problems: Problems) -> list[Upload]:
    """`media`, `photo` and `photo1`, `photo2`… files, each checked as any upload is."""
    uploads: list[Upload] = []
    limit = max_bytes()
    for name in files:
        if not _FILE_FIELD.match(name):
            problems.add(name, _("Send files as media, or photo1, photo2 and so on."))
            continue
        for file in files.getlist(name):
            # One byte over the limit is enough to know it is too large, without reading it all.
            data = file.read(limit + 1)
            try:
                prepare_upload(file.name or name, data)
            except ValidationError as exc:
                for message in exc.messages:
                    problems.add(name, message)
                continue
            uploads.append(Upload(field=name, name=file.name or name, data=data))
    if len(uploads) > MAX_FILES:
        problems.add("media", _("Send at most %(count)s files.") % {"count": MAX_FILES})
    return uploads


def _title(service: Service, description: str, client_title: object) -> str:
    if isinstance(client_title, str) and client_title.strip():
        title = client_title.strip()
    else:
        first_line = description.strip().splitlines()[0] if description.strip() else ""
        title = f"{service.name}: {first_line}" if first_line else service.name
    return title[: TITLE_LENGTH - 1] + "…" if len(title) > TITLE_LENGTH else title


def _ticket_fields(data: dict[str, Any]) -> dict[str, Any]:
    address_id = data["address_id"].strip()
    if address_id == NOT_PINPOINTED:
        # No pin and no address: the description says where, as on the resident web form.
        address_id = ""
    email, phone = data["email"].strip(), data["phone"].strip()
    if email:
        preference = ContactPreference.EMAIL
    elif phone:
        preference = ContactPreference.PHONE
    else:
        preference = ContactPreference.NONE
    return {
        "description": data["description"],
        "latitude": data["lat"],
        "longitude": data["long"],
        "address": data["address_string"],
        "address_id": address_id,
        "reporter_first_name": data["first_name"],
        "reporter_last_name": data["last_name"],
        "reporter_email": email,
        "reporter_phone": phone,
        "reporter_contact_preference": preference,
    }


def report_open(*, report: Report, key: ApiKey) -> Open311Request:
    """Open the report's ticket with its photos (public: the client shows them) and keep the
    client's details; a batch service's report also gets its token. One transaction: the
    caller's, when there is one (no savepoint: a failure here fails the caller's too)."""
    at = timezone.now()
    stored: list[Attachment] = []
    try:
        with transaction.atomic(savepoint=False):
            ticket = ticket_open(
                actor=key,
                type=TicketType.INCIDENT,
                service=report.service,
                title=report.title,
                channel=Channel.OPEN311,
                impact=RESIDENT_IMPACT,
                urgency=RESIDENT_URGENCY,
                answers=report.answers,
                at=at,
                **report.fields,
            ).ticket
            # The client application acts for the resident: the timeline records its key.
            reporter = key
            for upload in report.uploads:
                stored.append(
                    ticket_attach(
                        ticket=ticket,
                        actor=reporter,
                        name=upload.name,
                        data=upload.data,
                        public=True,
                        at=at,
                    )
                )
            batch = report.service.open311_type == Service.Open311Type.BATCH
            return Open311Request.objects.create(
                ticket=ticket,
                api_key=key,
                token=secrets.token_urlsafe(18) if batch else None,
                account_id=report.account_id,
                device_id=report.device_id,
                media_url=report.media_url,
                created_at=at,
            )
    except Exception:
        # The rows are rolled back; the files in storage are not.
        for attachment in stored:
            attachment.file.delete(save=False)
        raise


def ticket_problems(exc: TicketValidationError) -> Invalid:
    """The service desk's refusal of a ticket, under the Open311 parameters' names."""
    names = {
        "title": "description",
        "description": "description",
        "latitude": "lat",
        "longitude": "long",
        "address": "address_string",
        "reporter_first_name": "first_name",
        "reporter_last_name": "last_name",
        "reporter_email": "email",
        "reporter_phone": "phone",
        "service": "service_code",
    }
    problems = Problems()
    for field, messages in exc.message_dict.items():
        for message in messages:
            problems.add(names.get(field, field), message)
    return Invalid(problems.by_name)
