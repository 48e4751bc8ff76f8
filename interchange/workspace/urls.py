"""The staff and supplier workspace under /staff/: queues and search (queue_urls), the ticket
page and its actions (ticket_urls)."""

from interchange.workspace import queue_urls, ticket_urls

app_name = "workspace"

urlpatterns = [*queue_urls.urlpatterns, *ticket_urls.urlpatterns]
