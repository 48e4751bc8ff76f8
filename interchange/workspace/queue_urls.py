"""URLs of the queues, search, bulk actions and saved views (mounted under /staff/)."""

from django.urls import URLPattern, path

from interchange.workspace import queue_views

urlpatterns: list[URLPattern] = [
    path("queues/suppliers/", queue_views.suppliers, name="suppliers"),
    path("queues/suppliers/<slug:code>", queue_views.supplier_queue, name="supplier-queue"),
    path(
        "queues/suppliers/<slug:code>/export.csv",
        queue_views.supplier_queue_export,
        name="supplier-queue-export",
    ),
    path("queues/<slug:key>", queue_views.queue, name="queue"),
    path("queues/<slug:key>/export.csv", queue_views.queue_export, name="queue-export"),
    path("search", queue_views.search, name="search"),
    path("bulk", queue_views.bulk, name="bulk"),
    path("bulk/<str:token>", queue_views.bulk_result, name="bulk-result"),
    path("views/", queue_views.saved_views, name="saved-views"),
    path("views/save", queue_views.saved_view_save, name="saved-view-save"),
    path(
        "views/<int:view_id>/delete",
        queue_views.saved_view_delete_view,
        name="saved-view-delete",
    ),
]
