"""Every person has a role: blank roles are filled, then the database refuses them."""

from django.db import migrations, models


def fill_blank_roles(apps, schema_editor):
    # Before this, a blank role passed; give such rows the least access that still signs in.
    User = apps.get_model("accounts", "User")
    User.objects.filter(role="", is_superuser=True).update(role="administrator")
    User.objects.filter(role="").update(role="governance_viewer")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_supplier_scope"),
    ]

    operations = [
        migrations.AlterModelManagers(name="user", managers=[]),
        migrations.RunPython(fill_blank_roles, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "role__in",
                        [
                            "integrator_agent",
                            "integrator_lead",
                            "supplier_agent",
                            "supplier_admin",
                            "service_owner",
                            "commissioner",
                            "governance_viewer",
                            "administrator",
                        ],
                    )
                ),
                name="accounts_user_has_a_role",
                violation_error_message="Choose a role.",
            ),
        ),
    ]
