"""Load version 1 of the rubric text (the paper's 28 tests, guidance in our words).

The text lives in ``rubric/data/ml_test_score_v1.json``; a later version adds a new file and a
new data migration that loads it as a new ``Rubric`` row, leaving old assessments on theirs.
"""

from django.db import migrations

from shipyard.rubric.loader import DATA_DIR, load_rubric


def load(apps, schema_editor):
    load_rubric(
        apps.get_model("rubric", "Rubric"),
        apps.get_model("rubric", "RubricSection"),
        apps.get_model("rubric", "RubricTest"),
        DATA_DIR / "ml_test_score_v1.json",
    )


def unload(apps, schema_editor):
    apps.get_model("rubric", "Rubric").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("rubric", "0002_rubric_and_assessments")]

    operations = [migrations.RunPython(load, unload)]
