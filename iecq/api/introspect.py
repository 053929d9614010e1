"""The API's list routes, walked from the URL configuration (tests/test_api_queries.py and `make bench`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def api_list_route_names() -> list[str]:
    """`api:<basename>-list` for every list route the API routers registered."""
    names = []

    def walk(patterns, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif (
                isinstance(p, URLPattern)
                and namespace == "api:"
                and (p.name or "").endswith("-list")
                and "format" not in p.pattern.regex.groupindex
            ):
                names.append(namespace + p.name)

    walk(get_resolver().url_patterns, "")
    return sorted(set(names))
