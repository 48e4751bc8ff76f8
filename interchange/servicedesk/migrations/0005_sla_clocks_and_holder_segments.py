"""SLA clocks as stored state: two end-to-end clocks per ticket and one row per holder
segment, recomputed from the timeline (servicedesk.sla). Foreign keys are the ORM's only:
these rows are rewritten in bulk, and database checks at commit would cost more than the rest."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0004_event_state_and_holder_acknowledgement"),
        ("suppliers", "0001_suppliers_contracts_policies"),
    ]

    operations = [
        migrations.CreateModel(
            name="HolderSegment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveSmallIntegerField(verbose_name="number")),
                ("started_at", models.DateTimeField(verbose_name="from")),
                ("ended_at", models.DateTimeField(blank=True, null=True, verbose_name="until")),
                (
                    "reopens",
                    models.PositiveIntegerField(
                        default=0, verbose_name="reopens counted against the holder"
                    ),
                ),
                ("paused", models.DurationField(verbose_name="paused business time")),
                (
                    "response_state",
                    models.CharField(
                        choices=[
                            ("running", "Running"),
                            ("paused", "Paused"),
                            ("met", "Met"),
                            ("breached", "Breached"),
                            ("stopped", "Stopped"),
                        ],
                        max_length=10,
                        verbose_name="response state",
                    ),
                ),
                ("response_elapsed", models.DurationField(verbose_name="response elapsed")),
                (
                    "response_target",
                    models.DurationField(blank=True, null=True, verbose_name="response target"),
                ),
                (
                    "response_deadline",
                    models.DateTimeField(blank=True, null=True, verbose_name="response deadline"),
                ),
                (
                    "response_breached",
                    models.BooleanField(default=False, verbose_name="response breached"),
                ),
                ("response_warning_raised_at", models.DateTimeField(blank=True, null=True)),
                ("response_breach_raised_at", models.DateTimeField(blank=True, null=True)),
                (
                    "resolution_state",
                    models.CharField(
                        choices=[
                            ("running", "Running"),
                            ("paused", "Paused"),
                            ("met", "Met"),
                            ("breached", "Breached"),
                            ("stopped", "Stopped"),
                        ],
                        max_length=10,
                        verbose_name="resolution state",
                    ),
                ),
                ("resolution_elapsed", models.DurationField(verbose_name="business time held")),
                (
                    "resolution_target",
                    models.DurationField(blank=True, null=True, verbose_name="resolution target"),
                ),
                (
                    "resolution_deadline",
                    models.DateTimeField(blank=True, null=True, verbose_name="resolution deadline"),
                ),
                (
                    "resolution_breached",
                    models.BooleanField(default=False, verbose_name="resolution breached"),
                ),
                ("resolution_warning_raised_at", models.DateTimeField(blank=True, null=True)),
                ("resolution_breach_raised_at", models.DateTimeField(blank=True, null=True)),
                (
                    "alert_due_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="alert due"),
                ),
                ("measured_at", models.DateTimeField(verbose_name="measured at")),
                (
                    "holder_supplier",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="suppliers.supplier",
                        verbose_name="holder (empty: integrator desk)",
                    ),
                ),
                (
                    "policy_version",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="suppliers.slapolicyversion",
                        verbose_name="SLA policy version",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="holder_segments",
                        to="servicedesk.ticket",
                        verbose_name="ticket",
                    ),
                ),
            ],
            options={
                "verbose_name": "holder segment",
                "verbose_name_plural": "holder segments",
                "ordering": ["ticket", "number"],
                "indexes": [
                    models.Index(
                        fields=["holder_supplier", "started_at"], name="sd_segment_holder"
                    ),
                    models.Index(
                        condition=models.Q(("alert_due_at__isnull", False)),
                        fields=["alert_due_at"],
                        name="sd_segment_alert_due",
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("ticket", "number"), name="sd_segment_ticket_number"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="TicketClock",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "clock",
                    models.CharField(
                        choices=[("response", "Response"), ("resolution", "Resolution")],
                        max_length=10,
                        verbose_name="clock",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("running", "Running"),
                            ("paused", "Paused"),
                            ("met", "Met"),
                            ("breached", "Breached"),
                            ("stopped", "Stopped"),
                        ],
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                ("elapsed", models.DurationField(verbose_name="elapsed business time")),
                ("paused", models.DurationField(verbose_name="paused business time")),
                ("target", models.DurationField(blank=True, null=True, verbose_name="target")),
                ("deadline", models.DateTimeField(blank=True, null=True, verbose_name="deadline")),
                ("breached", models.BooleanField(default=False, verbose_name="breached")),
                (
                    "warning_raised_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="breach warning raised"
                    ),
                ),
                (
                    "breach_raised_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="breach raised"),
                ),
                (
                    "alert_due_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="alert due"),
                ),
                ("measured_at", models.DateTimeField(verbose_name="measured at")),
                (
                    "ticket",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="clocks",
                        to="servicedesk.ticket",
                        verbose_name="ticket",
                    ),
                ),
            ],
            options={
                "verbose_name": "SLA clock",
                "verbose_name_plural": "SLA clocks",
                "indexes": [
                    models.Index(
                        condition=models.Q(("alert_due_at__isnull", False)),
                        fields=["alert_due_at"],
                        name="sd_clock_alert_due",
                    ),
                    models.Index(
                        condition=models.Q(("state", "running")),
                        fields=["deadline"],
                        name="sd_clock_running_deadline",
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("ticket", "clock"), name="sd_clock_ticket_clock"
                    )
                ],
            },
        ),
    ]
