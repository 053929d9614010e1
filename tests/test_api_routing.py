"""The API's segment-indexed resolver (iecq/api/routing.py) resolves every route as Django's own resolver does."""

from __future__ import annotations

import types

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern

import iecq.urls
from iecq.api.routing import SegmentIndexedResolver, _spliced


def _plain_resolver() -> URLResolver:
    """The project's URLconf with the API included the usual way."""
    patterns = [
        path("api/v1/", include(("iecq.api.urls", "api"), namespace="api"))
        if isinstance(p, SegmentIndexedResolver)
        else p
        for p in iecq.urls.urlpatterns
    ]
    return URLResolver(RegexPattern(r"^/"), types.SimpleNamespace(urlpatterns=patterns))


def _api_urls() -> list[str]:
    indexed = next(p for p in iecq.urls.urlpatterns if isinstance(p, SegmentIndexedResolver))
    urls = []
    for pattern in _spliced(indexed.url_patterns):
        assert isinstance(pattern, URLPattern) and pattern.name, pattern
        groups = pattern.pattern.regex.groupindex
        urls.append(reverse(f"api:{pattern.name}", kwargs={g: "17" for g in groups}))
    return urls


def test_every_api_route_resolves_to_the_same_view_arguments_and_route():
    indexed, plain = get_resolver(), _plain_resolver()
    urls = _api_urls()
    assert len(urls) > 150 and "/api/v1/tokens/" in urls and "/api/v1/me/" in urls
    for url in urls:
        a, b = indexed.resolve(url), plain.resolve(url)
        assert (a.func, a.args, a.kwargs, a.url_name, a.namespaces, a.route) == (
            b.func, b.args, b.kwargs, b.url_name, b.namespaces, b.route
        ), url  # fmt: skip


@pytest.mark.parametrize("url", ["/api/v1/nothing-here/", "/api/v1/tokens/x/y/", "/api/v1/", "/api/v1/tokens"])
def test_an_unknown_api_path_is_not_found_by_either(url):
    for resolver in (get_resolver(), _plain_resolver()):
        with pytest.raises(Resolver404):
            resolver.resolve(url)


def test_the_index_walks_only_the_requested_segments_routes():
    indexed = next(p for p in iecq.urls.urlpatterns if isinstance(p, SegmentIndexedResolver))
    walked = indexed._by_segment["tokens"]
    assert walked and all("tokens" in str(p.pattern) for p in walked)
    assert len(walked) < len(list(_spliced(indexed.url_patterns))) / 10
