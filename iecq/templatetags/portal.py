from datetime import date, datetime

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html

register = template.Library()


@register.filter
def cell(obj, path: str):
    """The value of a dotted attribute path, using `get_<field>_display` for fields with choices."""
    value = obj
    for part in path.split("."):
        if value is None:
            return ""
        display = getattr(value, f"get_{part}_display", None)
        value = display() if callable(display) else getattr(value, part, "")
        if callable(value):
            value = value()
    if isinstance(value, datetime):
        return date_format(value, "Y-m-d H:i") + " UTC"
    if isinstance(value, date):
        return date_format(value, "Y-m-d")
    return "—" if value is None or value == "" else value


@register.filter
def label_of(value: str, labels: dict):
    """A state's human label from a {value: label} mapping."""
    return labels.get(value, value) if labels else value


@register.simple_tag
def state_badge(obj, field: str = "state"):
    value = getattr(obj, field, "")
    label = getattr(obj, f"get_{field}_display", lambda: value)()
    return format_html('<span class="badge badge-{}">{}</span>', value, label)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (sorting, paging)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode() if params else "?"
