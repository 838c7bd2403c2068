"""The prediction log's inputs and outputs become ``bytea`` through ``shipyard.serving.logcodec``.

Rows already logged keep their JSON: the codec's ``J`` tag (0x4A) followed by the JSON text, which
every reader decodes like a new row. Going back turns numeric blocks into null (JSON rows keep theirs).
"""

from django.db import migrations, models

import shipyard.serving.models

FORWARD = """
ALTER TABLE serving_predictionlog
    ALTER COLUMN inputs TYPE bytea USING ('\\x4a'::bytea || convert_to(inputs::text, 'UTF8')),
    ALTER COLUMN outputs TYPE bytea USING ('\\x4a'::bytea || convert_to(outputs::text, 'UTF8'));
"""

BACKWARD = """
ALTER TABLE serving_predictionlog
    ALTER COLUMN inputs TYPE jsonb USING (CASE WHEN get_byte(inputs, 0) = 74
        THEN convert_from(substring(inputs FROM 2), 'UTF8')::jsonb ELSE 'null'::jsonb END),
    ALTER COLUMN outputs TYPE jsonb USING (CASE WHEN get_byte(outputs, 0) = 74
        THEN convert_from(substring(outputs FROM 2), 'UTF8')::jsonb ELSE 'null'::jsonb END);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_artifact_format_torch_export"),
        ("serving", "0003_settings_ranges_on_the_model"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.AlterField(
                    model_name="predictionlog",
                    name="inputs",
                    field=shipyard.serving.models.LogValueField(float32=True),
                ),
                migrations.AlterField(
                    model_name="predictionlog",
                    name="outputs",
                    field=shipyard.serving.models.LogValueField(),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="predictionlog",
            index=models.Index(fields=["deployment", "id"], name="serving_plog_dep_id"),
        ),
    ]
