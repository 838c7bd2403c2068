from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shipyard.accounts"
    label = "accounts"
