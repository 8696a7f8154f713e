"""Emails to alliances and staff: Jinja2 rendering (zh-CN, en) and the local capture server."""

from notifications.render import RenderedEmail, render

__all__ = ["RenderedEmail", "render"]
