"""The Open311 benchmark posts reports the front door accepts, each different from the last, and
its bare baseline view is served only by the benchmark's own URL map."""

from urllib.parse import parse_qs

import pytest
from django.http import QueryDict
from django.urls import Resolver404, resolve
from django.utils.datastructures import MultiValueDict

from bench import open311
from bench.open311_urls import BASELINE_PATH
from interchange.catalogue.models import Question, QuestionChoice, Service
from interchange.frontdoor.open311.intake import read_report


def test_the_baseline_view_is_never_part_of_the_product():
    with pytest.raises(Resolver404):
        resolve(f"/{BASELINE_PATH}")
    assert resolve(f"/{BASELINE_PATH}", urlconf="bench.open311_urls").func.__name__ == (
        "form_parse"
    )


@pytest.mark.django_db
def test_each_report_is_accepted_and_none_looks_like_a_retry_of_another():
    pothole = Service.objects.create(
        code=open311.SERVICE_CODE,
        name="Pothole",
        kind=Service.Kind.RESIDENT,
        open311_exposed=True,
    )
    depth = Question.objects.create(
        service=pothole,
        code="depth",
        label="How deep?",
        datatype=Question.Datatype.SINGLE_CHOICE,
        required=True,
    )
    for order, key in enumerate(("shallow", "deep")):
        QuestionChoice.objects.create(question=depth, key=key, name=key, order=order)
    Question.objects.create(
        service=pothole, code="width_cm", label="Width", datatype=Question.Datatype.NUMBER
    )
    form = open311._form_of_service()

    bodies = [open311._report("ick_0123456789_secret-secret-secret", form, n) for n in range(50)]

    assert len(set(bodies)) == len(bodies)
    for body in bodies[:5]:
        fields = parse_qs(body.decode())
        assert fields["attribute[depth]"][0] in {"shallow", "deep"}
        report = read_report(QueryDict(body), MultiValueDict())
        assert report.answers["depth"] in {"shallow", "deep"}
        assert report.title.startswith("Pothole on ")
