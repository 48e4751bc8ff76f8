"""URLs of the ticket page, its actions and logging a ticket (joined into `workspace`)."""

from django.urls import URLPattern, path

from interchange.workspace import ticket_log, ticket_views

urlpatterns: list[URLPattern] = [
    path("tickets/new", ticket_log.choose_service, name="log-ticket"),
    path("tickets/new/<slug:code>", ticket_log.log_ticket, name="log-ticket-service"),
    path("tickets/<str:reference>", ticket_views.ticket, name="ticket"),
    path(
        "tickets/<str:reference>/timeline",
        ticket_views.ticket_timeline_page,
        name="ticket-timeline",
    ),
    path(
        "tickets/<str:reference>/attachments/<int:pk>",
        ticket_views.ticket_attachment,
        name="ticket-attachment",
    ),
    path("tickets/<str:reference>/<slug:action>", ticket_views.ticket_action, name="ticket-action"),
]
