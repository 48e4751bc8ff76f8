from django.urls import path

from interchange.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("password", views.ChangePasswordView.as_view(), name="change-password"),
    path("password/changed", views.PasswordChangedView.as_view(), name="password-changed"),
]
