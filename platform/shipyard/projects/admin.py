from django.contrib import admin

from shipyard.projects.models import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "team", "created_at")
    list_filter = ("team",)
    search_fields = ("slug", "name")
