"""The supplier self-service pages, under /staff/exchange/."""

from django.urls import path

from interchange.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:code>/", views.supplier, name="supplier"),
    path("<slug:code>/endpoints/new", views.endpoint_create, name="endpoint-create"),
    path("<slug:code>/endpoints/<int:pk>/", views.endpoint, name="endpoint"),
    path("<slug:code>/endpoints/<int:pk>/edit", views.endpoint_edit, name="endpoint-edit"),
    path(
        "<slug:code>/endpoints/<int:pk>/turn-off", views.endpoint_disable, name="endpoint-disable"
    ),
    path("<slug:code>/endpoints/<int:pk>/turn-on", views.endpoint_enable, name="endpoint-enable"),
    path("<slug:code>/endpoints/<int:pk>/test", views.endpoint_test, name="endpoint-test"),
    path(
        "<slug:code>/endpoints/<int:pk>/replay-dead",
        views.endpoint_replay_dead,
        name="endpoint-replay-dead",
    ),
    path("<slug:code>/endpoints/<int:pk>/secrets/new", views.secret_add, name="secret-add"),
    path(
        "<slug:code>/endpoints/<int:pk>/secrets/rotate", views.secret_rotate, name="secret-rotate"
    ),
    path(
        "<slug:code>/endpoints/<int:pk>/secrets/<int:secret_pk>/retire",
        views.secret_retire,
        name="secret-retire",
    ),
    path("<slug:code>/deliveries/", views.deliveries, name="deliveries"),
    path("<slug:code>/deliveries/<int:pk>/", views.delivery, name="delivery"),
    path("<slug:code>/deliveries/<int:pk>/replay", views.delivery_replay, name="delivery-replay"),
    path("<slug:code>/keys/new", views.key_create, name="key-create"),
    path("<slug:code>/keys/<int:pk>/rotate", views.key_rotate, name="key-rotate"),
    path("<slug:code>/keys/<int:pk>/revoke", views.key_revoke, name="key-revoke"),
]
