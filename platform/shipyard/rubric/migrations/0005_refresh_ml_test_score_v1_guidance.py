"""Refresh version 1's guidance text: it now says what Shipyard measures for data-7 (coverage of the
declared feature code) and model-2 (offline/online gap). The tests, their ids and their order are
unchanged, so existing assessments stay valid; ``load_rubric`` updates the rows in place."""

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
    dependencies = [("rubric", "0004_evidence_source_registry")]

    operations = [migrations.RunPython(refresh, migrations.RunPython.noop)]
