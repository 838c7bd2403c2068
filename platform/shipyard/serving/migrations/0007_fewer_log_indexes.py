"""The prediction log keeps the indexes its readers use: (deployment, created_at), (deployment, id),
request_id and the primary key. The single-column created_at and version_id indexes go (every
reader filters on the deployment first, and each index is paid on every write)."""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
DROP INDEX IF EXISTS serving_predictionlog_created_at_96e42170;
DROP INDEX IF EXISTS serving_predictionlog_version_id_16a21000;
"""
BACKWARD = """
CREATE INDEX IF NOT EXISTS serving_predictionlog_created_at_96e42170 ON serving_predictionlog (created_at);
CREATE INDEX IF NOT EXISTS serving_predictionlog_version_id_16a21000 ON serving_predictionlog (version_id);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_artifact_format_torch_export"),
        ("serving", "0006_log_day_count"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.AlterField(
                    model_name="predictionlog",
                    name="created_at",
                    field=models.DateTimeField(),
                ),
                migrations.AlterField(
                    model_name="predictionlog",
                    name="version",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.modelversion",
                    ),
                ),
            ],
        ),
    ]
