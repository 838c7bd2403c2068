from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "shipyard.jobs"
    label = "jobs"
