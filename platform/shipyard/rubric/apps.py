from django.apps import AppConfig


class RubricConfig(AppConfig):
    name = "shipyard.rubric"
    label = "rubric"
