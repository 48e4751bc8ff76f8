from django.contrib.auth import views as auth_views
from django.urls import include, path

from interchange.web import calendar_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility", views.accessibility, name="accessibility"),
    path("privacy", views.privacy, name="privacy"),
    path("cookies", views.cookies, name="cookies"),
    path("staff/", views.staff_home, name="staff-home"),
    path(
        "staff/sign-in",
        auth_views.LoginView.as_view(
            template_name="web/staff/sign_in.html", redirect_authenticated_user=True
        ),
        name="sign-in",
    ),
    path("staff/sign-out", auth_views.LogoutView.as_view(), name="sign-out"),
    path("staff/account/", include("interchange.accounts.urls")),
    path("staff/calendars/", calendar_views.calendar_list, name="calendar-list"),
    path("staff/calendars/<slug:code>/", calendar_views.calendar_detail, name="calendar-detail"),
]
