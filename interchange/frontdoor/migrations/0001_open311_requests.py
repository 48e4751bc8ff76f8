# Open311 reports' client details and batch tokens.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0003_every_person_has_a_role"),
        ("servicedesk", "0004_event_state_and_holder_acknowledgement"),
    ]

    operations = [
        migrations.CreateModel(
            name="Open311Request",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "token",
                    models.CharField(
                        blank=True, max_length=64, null=True, unique=True, verbose_name="token"
                    ),
                ),
                (
                    "account_id",
                    models.CharField(
                        blank=True, max_length=100, verbose_name="client's account id"
                    ),
                ),
                (
                    "device_id",
                    models.CharField(blank=True, max_length=100, verbose_name="client's device id"),
                ),
                (
                    "media_url",
                    models.URLField(
                        blank=True, max_length=1000, verbose_name="photo held by the client"
                    ),
                ),
                ("created_at", models.DateTimeField(verbose_name="received")),
                (
                    "api_key",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.apikey",
                        verbose_name="API key",
                    ),
                ),
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="open311_request",
                        to="servicedesk.ticket",
                        verbose_name="ticket",
                    ),
                ),
            ],
            options={
                "verbose_name": "Open311 report",
                "verbose_name_plural": "Open311 reports",
            },
        ),
    ]
