"""The residents' forms: one question per page, GOV.UK error messages, checked server-side."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from interchange.catalogue.models import Service
from interchange.frontdoor.resident.uploads import check_photo
from interchange.servicedesk.attachments import max_bytes
from interchange.servicedesk.models import ContactPreference

# What fits the ticket's 500-character address once the two parts are joined.
ADDRESS_MAX = 200
PLACE_MAX = 290
NAME_MAX = 200
NOTE_MAX = 5000
_PHONE_CHARACTERS = re.compile(r"^[0-9 +()\-]+$")


class CategoryForm(forms.Form):
    service = forms.ChoiceField(
        label=_("What is the problem?"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select the type of problem"),
            "invalid_choice": _("Select the type of problem"),
        },
    )

    def __init__(self, services: list[Service], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s.code, s.name) for s in services]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search for a type of problem"),
        required=False,
        max_length=100,
        help_text=_("For example, pothole, street light or bins"),
    )


class LocationForm(forms.Form):
    """A place given in words, on the map (with JavaScript), or both."""

    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Address or postcode"),
        required=False,
        max_length=ADDRESS_MAX,
        help_text=_("For example, 12 High Street, or the nearest postcode"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={
            "max_length": _("Address or postcode must be %(limit_value)d characters or fewer")
        },
    )
    place = forms.CharField(
        label=_("Describe exactly where it is"),
        required=False,
        max_length=PLACE_MAX,
        help_text=_("For example, outside the bakery, by the bus stop, or at the corner"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _(
                "The description of the place must be %(limit_value)d characters or fewer"
            )
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("latitude"), data.get("longitude")
        point = lat is not None and lon is not None
        if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError(
                _("The place on the map could not be used. Mark it again, or give the address.")
            )
        if not point:
            data["latitude"] = data["longitude"] = None
        if not point and not data.get("address") and not data.get("place"):
            self.add_error(
                "address",
                _("Enter the address or postcode, or describe where the problem is"),
            )
        return data


class DescriptionForm(forms.Form):
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=NOTE_MAX,
        help_text=_("For example, how big it is and whether it is dangerous"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": _("Describe the problem"),
            "max_length": _("The description must be %(limit_value)d characters or fewer"),
        },
    )


class PhotoField(forms.FileField):
    """An optional photo, checked by content; its cleaned value is (name, content, type)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.FileInput(attrs={"accept": "image/*"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if not isinstance(upload, UploadedFile):
            return None
        if upload.size is not None and upload.size > max_bytes():
            # Refused before it is read into memory; prepare_upload says the same of the rest.
            raise ValidationError(
                _("The selected file must be smaller than %(size)s MB"),
                code="too_large",
                params={"size": max_bytes() // (1024 * 1024)},
            )
        return check_photo(upload.name or "photo", upload.read())


class PhotoForm(forms.Form):
    photo = PhotoField(label=_("Upload a photo"))


class ContactForm(forms.Form):
    name = forms.CharField(
        label=_("Full name (optional)"),
        required=False,
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        error_messages={"max_length": _("Full name must be %(limit_value)d characters or fewer")},
    )
    contact = forms.ChoiceField(
        label=_("How should we contact you about this report?"),
        choices=ContactPreference.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select how we should contact you, or that you do not want updates"),
            "invalid_choice": _(
                "Select how we should contact you, or that you do not want updates"
            ),
        },
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        max_length=254,
        help_text=_("If you chose email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "invalid": _("Enter an email address in the correct format, like name@example.com")
        },
    )
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=40,
        help_text=_("If you chose phone. For international numbers include the country code"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("contact")
        if (
            choice == ContactPreference.EMAIL
            and not data.get("email")
            and "email" not in self.errors
        ):
            self.add_error("email", _("Enter your email address"))
        if choice == ContactPreference.PHONE:
            phone = data.get("phone", "")
            digits = re.sub(r"\D", "", phone)
            if not phone:
                self.add_error("phone", _("Enter your phone number"))
            elif not _PHONE_CHARACTERS.match(phone) or not 10 <= len(digits) <= 15:
                self.add_error(
                    "phone",
                    _(
                        "Enter a phone number, like 01632 960 001, 07700 900 982 "
                        "or +44 808 157 0192"
                    ),
                )
        # Only the way they chose is kept: nobody is contacted by a route they did not pick.
        if choice != ContactPreference.EMAIL:
            data["email"] = ""
        if choice != ContactPreference.PHONE:
            data["phone"] = ""
        return data


class FollowForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We will only use it to tell you about this report"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
    )
    name = forms.CharField(
        label=_("Full name (optional)"),
        required=False,
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )


class NearbyForm(forms.Form):
    NEW = "new"

    report = forms.ChoiceField(
        label=_("Is your problem one of these?"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select the report of your problem, or that yours is a different one"),
            "invalid_choice": _(
                "Select the report of your problem, or that yours is a different one"
            ),
        },
    )

    def __init__(self, report_ids: list[int], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["report"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(pk), str(pk)) for pk in report_ids] + [(self.NEW, self.NEW)]


class ReferenceForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number"),
        max_length=30,
        help_text=_("For example, INC-004213"),
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
        error_messages={"required": _("Enter the reference number of the report")},
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Enter your reply"),
            "max_length": _("Your reply must be %(limit_value)d characters or fewer"),
        },
    )
    photo = PhotoField(label=_("Add a photo (optional)"))


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Tell us what is still wrong"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Tell us what is still wrong"),
            "max_length": _("Your answer must be %(limit_value)d characters or fewer"),
        },
    )
    photo = PhotoField(label=_("Add a photo (optional)"))


class FeedbackForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how we dealt with your report?"),
        coerce=int,
        choices=[
            (5, _("Very satisfied")),
            (4, _("Satisfied")),
            (3, _("Neither satisfied nor dissatisfied")),
            (2, _("Dissatisfied")),
            (1, _("Very dissatisfied")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Select how satisfied you are"),
            "invalid_choice": _("Select how satisfied you are"),
        },
    )
    comment = forms.CharField(
        label=_("How could we improve? (optional)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Do not include personal or financial information"),
        error_messages={
            "max_length": _("Your comment must be %(limit_value)d characters or fewer")
        },
    )
