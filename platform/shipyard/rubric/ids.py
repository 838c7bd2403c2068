"""The 28 stable rubric test ids, in the paper's order."""

SECTIONS = ("data", "model", "infra", "monitor")
RUBRIC_TEST_IDS = tuple(f"{section}-{n}" for section in SECTIONS for n in range(1, 8))
