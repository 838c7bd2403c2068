"""Refresh version 1's guidance text: it now says what Shipyard measures for data-2 and data-3 (the
feature_importance job), data-6 (feature lead time), model-3 (the tune job) and model-4 (the
staleness_impact job). The tests, their ids and their order are unchanged; ``load_rubric`` updates
the rows in place."""

from django.db import migrations

from shipyard.rubric.loader import DATA_DIR, load_rubric


def refresh(apps, schema_editor):
    load_rubric(
        apps.get_model("rubric", "Rubric"),
        apps.get_model("rubric", "RubricSection"),
        apps.get_model("rubric", "RubricTest"),
        DATA_DIR / "ml_test_score_v1.json",
    )


class Migration(migrations.Migration):
    dependencies = [("rubric", "0005_refresh_ml_test_score_v1_guidance")]

    operations = [migrations.RunPython(refresh, migrations.RunPython.noop)]
