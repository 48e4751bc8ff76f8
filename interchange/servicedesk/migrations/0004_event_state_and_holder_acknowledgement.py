"""Each timeline event carries the ticket's state after it (status, holder, priority, whether
the holder had acknowledged); the ticket records its current holder's acknowledgement.

No code wrote tickets or events before this migration, so the placeholder defaults below
never describe a real row; they are not kept on the fields.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0003_ticket_holdings"),
        ("suppliers", "0001_suppliers_contracts_policies"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="holder_acknowledged_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="acknowledged by holder"
            ),
        ),
        migrations.AddField(
            model_name="ticketevent",
            name="status",
            field=models.CharField(
                choices=[
                    ("new", "New"),
                    ("assigned", "Assigned"),
                    ("in_progress", "In progress"),
                    ("waiting_resident", "Waiting on resident"),
                    ("waiting_third_party", "Waiting on third party"),
                    ("resolved", "Resolved"),
                    ("closed", "Closed"),
                    ("cancelled", "Cancelled"),
                ],
                default="new",
                max_length=20,
                verbose_name="status after",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="ticketevent",
            name="holder_supplier",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="suppliers.supplier",
                verbose_name="holder after (empty: integrator desk)",
            ),
        ),
        migrations.AddField(
            model_name="ticketevent",
            name="priority",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "P1 – critical"),
                    (2, "P2 – high"),
                    (3, "P3 – moderate"),
                    (4, "P4 – low"),
                ],
                default=4,
                verbose_name="priority after",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="ticketevent",
            name="holder_acknowledged",
            field=models.BooleanField(default=False, verbose_name="holder had acknowledged"),
        ),
    ]
