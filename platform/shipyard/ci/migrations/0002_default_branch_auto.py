from typing import Any

from django.db import migrations, models


def main_to_auto(apps: Any, schema_editor: Any) -> None:
    """Configs that still carry the old implicit default ("main") become automatic (main or master)."""
    apps.get_model("ci", "CIConfig").objects.filter(default_branch="main").update(default_branch="")


def auto_to_main(apps: Any, schema_editor: Any) -> None:
    apps.get_model("ci", "CIConfig").objects.filter(default_branch="").update(default_branch="main")


class Migration(migrations.Migration):
    dependencies = [
        ("ci", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ciconfig",
            name="default_branch",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.RunPython(main_to_auto, auto_to_main),
    ]
