"""Template tags of the workspace layout: the queues' sub-navigation."""

from __future__ import annotations

from typing import Any

from django import template

from interchange.workspace.home import home_panel
from interchange.workspace.queues import queue_navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def workspace_navigation(context: dict[str, Any]) -> list[Any]:
    """The queues the signed-in person may open, the current one marked active."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return queue_navigation(request.user, current=context.get("queue_key"))


@register.inclusion_tag("workspace/home_panel.html", takes_context=True)
def workspace_home(context: dict[str, Any]) -> dict[str, Any]:
    """The home page's part for the signed-in person's role (desk, supplier or services)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"kind": None}
    return home_panel(request.user)
