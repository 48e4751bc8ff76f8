"""The workspace's own data: the queue views people save (a queue, its filters and sort)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SAVED_VIEW_NAME_MAX_LENGTH = 80


class SavedView(models.Model):
    """A queue with its filters and sort, saved under a name by one person for themselves."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=SAVED_VIEW_NAME_MAX_LENGTH)
    queue = models.CharField(_("queue"), max_length=40)
    # The queue's query string (filters and sort), without any page cursor.
    query = models.CharField(_("filters and sort"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("saved"))

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["owner", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="workspace_savedview_name"),
        ]

    def __str__(self) -> str:
        return self.name
