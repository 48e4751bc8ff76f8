"""The change record: snapshots, diffs and records, and AuditedAdmin recording admin edits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from interchange.core.audit import diff, history, record_change, snapshot
from interchange.core.models import BusinessCalendar, ChangeRecord, WorkingHours

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def office() -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(code="office", name="Office hours")
    WorkingHours.objects.create(calendar=calendar, weekday=0, start_time=time(9), end_time=time(17))
    return calendar


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def test_a_snapshot_holds_json_friendly_values():
    assert snapshot(
        WorkingHours(pk=3, calendar_id=1, weekday=0, start_time=time(9), end_time=time(17, 30))
    ) == {
        "id": 3,
        "calendar_id": 1,
        "weekday": 0,
        "start_time": "09:00:00",
        "end_time": "17:30:00",
    }


def test_a_diff_lists_each_changed_field_as_old_and_new():
    before = {"a": 1, "b": "x", "c": [1, 2]}
    after = {"a": 1, "b": "y", "c": [2], "d": date(2026, 1, 1).isoformat()}
    assert diff(before, after) == {"b": ["x", "y"], "c": [[1, 2], [2]], "d": [None, "2026-01-01"]}
    assert diff(None, {"a": Decimal("1.50")}) == {"a": [None, Decimal("1.50")]}


def test_a_change_is_recorded_with_who_when_and_old_and_new(office, administrator):
    before = snapshot(office)
    office.name = "Council office hours"
    office.save()
    record = record_change(
        office, actor=administrator, before=before, after=snapshot(office), at=AT, reason="Rename"
    )
    assert record is not None
    assert (record.action, record.actor, record.actor_label, record.at, record.reason) == (
        ChangeRecord.Action.CHANGED,
        administrator,
        "administrator",
        AT,
        "Rename",
    )
    assert record.changes["name"] == ["Office hours", "Council office hours"]
    assert record.object_repr == "Council office hours"


def test_nothing_changed_means_nothing_recorded(office, administrator):
    assert (
        record_change(office, actor=administrator, before=snapshot(office), after=snapshot(office))
        is None
    )
    assert not ChangeRecord.objects.exists()


def test_a_change_by_the_system_or_nobody_signed_in_has_no_person(office):
    system = record_change(office, actor=None, before=None, after=snapshot(office))
    anonymous = record_change(office, actor=AnonymousUser(), before=None, after=snapshot(office))
    assert system is not None and anonymous is not None
    assert (system.actor, system.actor_label) == (None, "system")
    assert (anonymous.actor, anonymous.actor_label) == (None, "AnonymousUser")


def test_history_is_the_record_s_changes_newest_first(office, administrator):
    first = record_change(office, actor=administrator, before=None, after={"a": 1}, at=AT)
    second = record_change(
        office, actor=administrator, before={"a": 1}, after={"a": 2}, at=AT + timedelta(hours=1)
    )
    other = BusinessCalendar.objects.create(code="other", name="Other")
    record_change(other, actor=administrator, before=None, after={"a": 1}, at=AT)
    assert list(history(office)) == [second, first]


def calendar_data(calendar: BusinessCalendar | None = None, **fields: str) -> dict:
    hours = list(calendar.working_hours.all()) if calendar else []
    calendar_id = str(calendar.pk) if calendar else ""
    data = {
        "code": "office",
        "name": "Office hours",
        "time_zone": "Europe/London",
        "holiday_region": "ENG",
        "working_hours-TOTAL_FORMS": str(len(hours)),
        "working_hours-INITIAL_FORMS": str(len(hours)),
        "exceptions-TOTAL_FORMS": "0",
        "exceptions-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(hours):
        data |= {
            f"working_hours-{index}-id": str(row.pk),
            f"working_hours-{index}-calendar": calendar_id,
            f"working_hours-{index}-weekday": str(row.weekday),
            f"working_hours-{index}-start_time": row.start_time.strftime("%H:%M"),
            f"working_hours-{index}-end_time": row.end_time.strftime("%H:%M"),
        }
    return data | fields


def test_a_calendar_made_in_the_admin_is_recorded_with_its_working_hours(
    admin_client, administrator
):
    data = calendar_data(
        None,
        **{
            "working_hours-TOTAL_FORMS": "1",
            "working_hours-0-weekday": "0",
            "working_hours-0-start_time": "08:00",
            "working_hours-0-end_time": "18:00",
        },
    )
    response = admin_client.post(reverse("admin:core_businesscalendar_add"), data)
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get()
    (record,) = history(calendar)
    assert (record.action, record.actor) == (ChangeRecord.Action.CREATED, administrator)
    assert record.changes["name"] == [None, "Office hours"]
    ((old, new),) = [record.changes["working_hours"]]
    assert old is None
    assert [(row["weekday"], row["start_time"]) for row in new] == [(0, "08:00:00")]
    # Timestamps are not changes anyone made.
    assert "updated_at" not in record.changes
    row = WorkingHours.objects.get()
    assert history(row).get().action == ChangeRecord.Action.CREATED


def test_changing_an_inline_row_records_the_row_and_its_calendar(admin_client, office):
    url = reverse("admin:core_businesscalendar_change", args=[office.pk])
    response = admin_client.post(
        url, calendar_data(office, **{"working_hours-0-end_time": "16:00"})
    )
    assert response.status_code == 302
    row = WorkingHours.objects.get()
    assert history(row).get().changes == {"end_time": ["17:00:00", "16:00:00"]}
    (calendar_record,) = history(office)
    old, new = calendar_record.changes["working_hours"]
    assert (old[0]["end_time"], new[0]["end_time"]) == ("17:00:00", "16:00:00")


def test_deleting_an_inline_row_records_what_it_was(admin_client, office):
    row = WorkingHours.objects.get()
    url = reverse("admin:core_businesscalendar_change", args=[office.pk])
    data = calendar_data(office, **{"working_hours-0-DELETE": "on"})
    assert admin_client.post(url, data).status_code == 302
    assert not WorkingHours.objects.exists()
    deleted = ChangeRecord.objects.get(action=ChangeRecord.Action.DELETED)
    assert deleted.object_id == str(row.pk)
    assert deleted.changes["start_time"] == ["09:00:00", None]


def test_saving_a_calendar_unchanged_records_nothing(admin_client, office):
    url = reverse("admin:core_businesscalendar_change", args=[office.pk])
    assert admin_client.post(url, calendar_data(office)).status_code == 302
    assert not ChangeRecord.objects.exists()


def test_deleting_a_calendar_records_it_and_its_rows(admin_client, office):
    url = reverse("admin:core_businesscalendar_delete", args=[office.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    record = ChangeRecord.objects.get(action=ChangeRecord.Action.DELETED)
    assert record.changes["code"] == ["office", None]
    assert record.changes["working_hours"][0][0]["start_time"] == "09:00:00"


def test_the_bulk_delete_action_is_recorded_too(admin_client, office):
    admin_client.post(
        reverse("admin:core_businesscalendar_changelist"),
        {"action": "delete_selected", "_selected_action": [office.pk], "post": "yes"},
    )
    assert not BusinessCalendar.objects.exists()
    assert ChangeRecord.objects.get().action == ChangeRecord.Action.DELETED


def test_the_change_page_shows_the_history_and_links_to_all_of_it(
    admin_client, office, administrator
):
    record_change(
        office, actor=administrator, before={"name": "Old <b>name</b>"}, after={"name": "Office"}
    )
    page = admin_client.get(reverse("admin:core_businesscalendar_change", args=[office.pk]))
    html = page.content.decode()
    assert "Change history" in html
    # Values are escaped: a name cannot inject markup into the admin.
    assert "<strong>name</strong>: Old &lt;b&gt;name&lt;/b&gt; → Office" in html
    assert f"object_id={office.pk}" in html
    listing = admin_client.get(
        reverse("admin:core_changerecord_changelist"),
        {"content_type": ChangeRecord.objects.get().content_type_id, "object_id": office.pk},
    )
    assert listing.status_code == 200
    assert len(listing.context["cl"].result_list) == 1


def test_the_change_record_can_be_read_but_never_written(admin_client, office, administrator):
    record = record_change(office, actor=administrator, before=None, after={"a": 1})
    assert record is not None
    url = reverse("admin:core_changerecord_change", args=[record.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"reason": "tampered"}).status_code == 403
    delete = reverse("admin:core_changerecord_delete", args=[record.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:core_changerecord_add")).status_code == 403
    record.refresh_from_db()
    assert record.reason == ""
