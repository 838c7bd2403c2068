"""Refresh version 1's guidance text: it now says what Shipyard measures for infra-5 (explanations with
the completeness check, and replays of logged requests) and model-7 (fairlearn reports over sensitive
groups, from a fairness job and the fairness monitor). Tests, ids and order are unchanged."""

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
