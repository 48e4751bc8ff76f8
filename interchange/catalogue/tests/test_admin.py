"""The catalogue admin: every page opens, the rules hold, and every change is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from interchange.catalogue.models import (
    Area,
    DeskTarget,
    Question,
    Service,
    ServiceGroup,
    ServiceTarget,
)
from interchange.catalogue.services import area_save
from interchange.catalogue.tests.admin_forms import errors, form_data
from interchange.core.audit import history
from interchange.core.models import BusinessCalendar, ChangeRecord

pytestmark = pytest.mark.django_db

SQUARE = {"type": "Polygon", "coordinates": [[[0, 50], [1, 50], [1, 51], [0, 51], [0, 50]]]}


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def calendar(db):
    return BusinessCalendar.objects.create(code="always", name="Always", is_24x7=True)


@pytest.mark.parametrize("model", ["servicegroup", "service", "question", "desktarget", "area"])
def test_every_page_opens_for_an_administrator(
    admin_client, pothole, calendar, administrator, model
):
    ServiceGroup.objects.create(code="roads", name="Roads")
    DeskTarget.objects.create(
        priority=1, response=timedelta(minutes=15), resolution=timedelta(hours=1), calendar=calendar
    )
    area_save(actor=administrator, code="E05000001", name="Abbey", boundary=SQUARE)
    changelist = admin_client.get(reverse(f"admin:catalogue_{model}_changelist"))
    assert changelist.status_code == 200
    assert admin_client.get(reverse(f"admin:catalogue_{model}_add")).status_code == 200
    first = changelist.context["cl"].result_list[0]
    page = admin_client.get(reverse(f"admin:catalogue_{model}_change", args=[first.pk]))
    assert page.status_code == 200
    assert "Change history" in page.content.decode()


def test_a_service_made_in_the_admin_is_recorded_with_its_groups_and_targets(
    admin_client, calendar, administrator
):
    roads = ServiceGroup.objects.create(code="roads", name="Roads")
    url = reverse("admin:catalogue_service_add")
    data = form_data(admin_client.get(url)) | {
        "code": "potholes",
        "name": "Potholes",
        "kind": Service.Kind.RESIDENT,
        "groups": [str(roads.pk)],
        "keywords": '["hole", "road"]',
        "targets-TOTAL_FORMS": "1",
        "targets-0-priority": "2",
        "targets-0-response": "1 00:00:00",
        "targets-0-resolution": "5 00:00:00",
        "targets-0-calendar": str(calendar.pk),
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors(response)
    service = Service.objects.get()
    (record,) = history(service)
    assert record.actor == administrator
    assert record.changes["groups"] == [None, [roads.pk]]
    assert record.changes["keywords"] == [None, ["hole", "road"]]
    (target,) = record.changes["targets"][1]
    assert (target["priority"], target["resolution"]) == (2, 5 * 86400.0)
    assert history(ServiceTarget.objects.get()).get().action == ChangeRecord.Action.CREATED


def test_changing_a_service_s_groups_records_the_old_and_new_groups(admin_client, pothole):
    roads = ServiceGroup.objects.create(code="roads", name="Roads")
    streets = ServiceGroup.objects.create(code="streets", name="Streets")
    pothole.groups.set([roads])
    url = reverse("admin:catalogue_service_change", args=[pothole.pk])
    data = form_data(admin_client.get(url)) | {"groups": [str(streets.pk)]}
    assert admin_client.post(url, data).status_code == 302
    assert history(pothole).get().changes == {"groups": [[roads.pk], [streets.pk]]}


def test_a_question_edited_in_the_service_inline_is_recorded_on_both(admin_client, pothole):
    url = reverse("admin:catalogue_service_change", args=[pothole.pk])
    data = form_data(admin_client.get(url))
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("questions-") and key.endswith("-code") and value == "landmark"
    )
    data[f"questions-{index}-label"] = "Nearest shop or bus stop"
    assert admin_client.post(url, data).status_code == 302
    question = Question.objects.get(code="landmark")
    assert history(question).get().changes == {
        "label": ["Nearest landmark", "Nearest shop or bus stop"]
    }
    assert "questions" in history(pothole).get().changes


def test_a_choice_question_needs_choices_and_others_take_none(admin_client, pothole):
    size = Question.objects.get(code="size")
    url = reverse("admin:catalogue_question_change", args=[size.pk])
    data = form_data(admin_client.get(url))
    for key in [k for k in data if k.startswith("choices-") and k.endswith("-key")]:
        data[key.replace("-key", "-DELETE")] = "on"
    response = admin_client.post(url, data)
    assert errors(response) == ["Give at least one choice to choose from."]

    data = form_data(admin_client.get(url)) | {"datatype": Question.Datatype.STRING}
    response = admin_client.post(url, data)
    assert errors(response) == [
        "Only single and multiple choice questions have choices; remove them."
    ]
    assert size.choices.count() == 3


def test_information_cannot_require_an_answer(admin_client, pothole):
    safety = Question.objects.get(code="safety")
    url = reverse("admin:catalogue_question_change", args=[safety.pk])
    data = form_data(admin_client.get(url)) | {"required": "on"}
    response = admin_client.post(url, data)
    assert errors(response) == ["Information shown to people cannot require an answer."]


def test_an_area_made_in_the_admin_gets_its_bounding_box_and_history(admin_client, administrator):
    url = reverse("admin:catalogue_area_add")
    data = form_data(admin_client.get(url)) | {
        "code": "E05000001",
        "name": "Abbey",
        "boundary": '{"type": "Polygon", "coordinates": [[[0, 50], [2, 50], [2, 51], [0, 50]]]}',
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors(response)
    area = Area.objects.get()
    assert (area.min_lon, area.max_lon) == (0, 2)
    (record,) = history(area)
    assert record.actor == administrator


def test_an_invalid_boundary_is_an_error_beside_the_field_and_nothing_is_saved(admin_client):
    url = reverse("admin:catalogue_area_add")
    data = form_data(admin_client.get(url)) | {
        "code": "E05000001",
        "name": "Abbey",
        "boundary": '{"type": "Polygon", "coordinates": [[[0, 50], [2, 50], [2, 51]]]}',
    }
    response = admin_client.post(url, data)
    assert response.context["adminform"].form.errors["boundary"] == [
        "The polygon, ring 1 needs at least four positions."
    ]
    assert not Area.objects.exists()
    assert not ChangeRecord.objects.exists()


def test_an_area_s_code_is_fixed_once_it_exists(admin_client, administrator):
    area = area_save(actor=administrator, code="E05000001", name="Abbey", boundary=SQUARE)
    url = reverse("admin:catalogue_area_change", args=[area.pk])
    data = form_data(admin_client.get(url)) | {"code": "E0599", "name": "Abbey Park"}
    assert admin_client.post(url, data).status_code == 302
    area.refresh_from_db()
    assert (area.code, area.name) == ("E05000001", "Abbey Park")
    assert history(area).filter(action=ChangeRecord.Action.CHANGED).get().changes == {
        "name": ["Abbey", "Abbey Park"]
    }


def test_group_order_edited_in_the_list_is_recorded(admin_client):
    roads = ServiceGroup.objects.create(code="roads", name="Roads", order=1)
    response = admin_client.post(
        reverse("admin:catalogue_servicegroup_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(roads.pk),
            "form-0-order": "5",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert history(roads).get().changes == {"order": [1, 5]}
