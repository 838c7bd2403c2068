from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "shipyard.releases"
    label = "releases"

    def ready(self) -> None:
        from shipyard.releases import receivers

        receivers.connect()
