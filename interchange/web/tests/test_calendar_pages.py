"""Staff pages for business calendars and the deadline calculator."""

import pytest
from django.contrib.auth import get_user_model

from interchange.accounts.models import Role
from interchange.core import demo as core_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    core_demo.load()
    client.force_login(
        get_user_model().objects.create_user("agent", role=Role.INTEGRATOR_AGENT, password="x" * 16)
    )
    return client


def test_a_signed_out_person_cannot_see_calendars(client):
    core_demo.load()
    for url in ["/staff/calendars/", "/staff/calendars/office-hours/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/sign-in?next=")


def test_the_list_sorts_on_the_server_and_summarises_working_time(staff_client):
    html = staff_client.get("/staff/calendars/?sort=code&order=desc").content.decode()
    codes = ["office-hours-scotland", "office-hours", "extended-hours", "24x7"]
    positions = [html.index(f'href="/staff/calendars/{code}/"') for code in codes]
    assert positions == sorted(positions)
    assert 'aria-sort="descending"' in html
    assert "Mon–Fri 07:00–20:00; Sat 08:00–17:00" in html
    assert "24 hours, every day" in html


def test_the_list_costs_two_queries_whatever_the_number_of_calendars(
    staff_client, django_assert_max_num_queries
):
    staff_client.get("/staff/calendars/")  # the first request stamps the session
    # Session and user, then calendars, their hours and exceptions: none per calendar.
    with django_assert_max_num_queries(5):
        staff_client.get("/staff/calendars/")


def test_the_calculator_skips_a_bank_holiday_weekend(staff_client):
    # Friday 28 August 2026, 16:00; Monday 31 August is the summer bank holiday.
    response = staff_client.get(
        "/staff/calendars/office-hours/",
        {"start_date": "28/8/2026", "start_time": "16:00", "hours": "4", "minutes": "0"},
    )
    html = response.content.decode()
    assert "Tuesday 1 September 2026, 10:00" in html
    assert "2026-09-01 09:00 UTC" in html
    assert "3 days 18 hours" in html  # clock time elapsed


def test_a_deadline_exactly_at_closing_time_is_closing_time(staff_client):
    html = staff_client.get(
        "/staff/calendars/office-hours/",
        {"start_date": "2/9/2026", "start_time": "08:00", "hours": "10"},
    ).content.decode()
    assert "Wednesday 2 September 2026, 18:00" in html


def test_bad_input_is_explained_next_to_each_field_and_nothing_is_worked_out(staff_client):
    response = staff_client.get(
        "/staff/calendars/office-hours/",
        {"start_date": "31/2/2026", "start_time": "25:00", "hours": "-1", "minutes": "75"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Start date must be a real date, for example 27/3/2026" in html
    assert "Start time must be a time on the 24-hour clock, for example 14:30" in html
    assert "Business hours must be 0 or more" in html
    assert "Minutes must be a whole number from 0 to 59" in html
    assert "govuk-panel" not in html
    assert 'class="govuk-input govuk-input--width-10 govuk-input--error"' in html


def test_htmx_asks_for_just_the_result(staff_client):
    response = staff_client.get(
        "/staff/calendars/24x7/",
        {"start_date": "28/3/2026", "start_time": "12:00", "hours": "24"},
        headers={"HX-Request": "true", "HX-Target": "deadline-result"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="deadline-result"')
    # 24 business hours across the spring clock change is 24 real hours: 13:00 BST.
    assert "Sunday 29 March 2026, 13:00" in html


def test_the_calendar_page_lists_holidays_closures_and_openings(staff_client):
    html = staff_client.get("/staff/calendars/office-hours/").content.decode()
    assert "Council offices closed between Christmas and New Year" in html
    assert "Saturday opening for local election enquiries" in html
    assert "Christmas Day" in html


def test_an_unknown_calendar_is_not_found(staff_client):
    assert staff_client.get("/staff/calendars/nope/").status_code == 404
