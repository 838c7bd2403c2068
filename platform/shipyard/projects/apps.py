from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "shipyard.projects"
    label = "projects"
