"""The residents' web service: report a problem, follow a report, track one, and stop the
emails about one."""

from django.urls import path

from interchange.frontdoor.resident import views

urlpatterns = [
    path("report/", views.category, name="report-category"),
    path("report/where", views.where, name="report-where"),
    path("report/already-reported", views.nearby, name="report-nearby"),
    path("report/details", views.details, name="report-details"),
    path("report/photos", views.photos, name="report-photos"),
    path("report/photos/<str:key>", views.held_photo, name="report-held-photo"),
    path("report/photos/<str:key>/remove", views.remove_photo, name="report-remove-photo"),
    path("report/contact", views.contact, name="report-contact"),
    path("report/check", views.check, name="report-check"),
    path("report/sent", views.sent, name="report-sent"),
    path("track/", views.track, name="track"),
    path("track/<str:reference>", views.track_report, name="track-report"),
    path("track/<str:reference>/follow", views.follow, name="track-follow"),
    path("track/<str:reference>/photos/<int:photo_id>", views.public_photo, name="track-photo"),
    path("my-report/<str:token>", views.own_report, name="own-report"),
    path("my-report/<str:token>/reply", views.own_reply, name="own-reply"),
    path("my-report/<str:token>/not-fixed", views.own_reopen, name="own-reopen"),
    path("my-report/<str:token>/feedback", views.own_feedback, name="own-feedback"),
    path("my-report/<str:token>/photos/<int:photo_id>", views.own_photo, name="own-photo"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]
