"""The API's URL resolver: routes found by their first path segment instead of one after the other.

Django tries a URLconf's patterns in order, and each one that does not match is recorded in the list of routes
tried. The API has about 180 routes (list, detail and action routes of some 45 resources), so resolving
`/api/v1/tokens/`, registered last, cost 150 µs before the view ran, and on average about half of that. This
resolver indexes its patterns by their first literal segment (`tokens`, `certificates`) and lets Django's own
`resolve` walk only the patterns of the requested segment, in their declared order, plus any pattern whose first
segment is not a literal; everything else (reversing, checks, the schema) sees every pattern as before.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import cached_property

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RegexPattern, RoutePattern

_ANY = object()  # a pattern whose first segment is not a literal: tried for every segment
_LITERAL = re.compile(r"[\w-]+")
# (resolver, the patterns its current `resolve` call walks); per context, so threads and requests never mix.
_walking: ContextVar[tuple[object, list] | None] = ContextVar("iecq_api_routing", default=None)


def first_segment(pattern: URLPattern | URLResolver) -> object:
    """The literal first path segment a pattern requires, or _ANY."""
    if isinstance(pattern.pattern, RoutePattern):
        route = str(pattern.pattern._route)
    elif isinstance(pattern.pattern, RegexPattern):
        route = str(pattern.pattern._regex).removeprefix("^")
    else:
        return _ANY
    segment, slash, _rest = route.partition("/")
    return segment if slash and _LITERAL.fullmatch(segment) else _ANY


def _spliced(patterns):
    """The patterns, with each `path("", include(...))` of plain routes (no namespace, no arguments) replaced by the
    routes it includes, in order: what Django would try inside it, at the same place."""
    for pattern in patterns:
        plain_include = (
            isinstance(pattern, URLResolver)
            and isinstance(pattern.pattern, RoutePattern)
            and str(pattern.pattern._route) == ""
            and not pattern.namespace
            and not pattern.app_name
            and not pattern.default_kwargs
        )
        if plain_include:
            yield from _spliced(pattern.url_patterns)
        else:
            yield pattern


class SegmentIndexedResolver(URLResolver):
    @cached_property
    def _all_patterns(self) -> list:
        return URLResolver.url_patterns.func(self)

    @cached_property
    def _by_segment(self) -> dict[str, list]:
        flat = list(_spliced(self._all_patterns))
        segments = {first_segment(p) for p in flat} - {_ANY}
        return {segment: [p for p in flat if first_segment(p) in (segment, _ANY)] for segment in segments}

    @property
    def url_patterns(self) -> list:
        walking = _walking.get()
        return walking[1] if walking is not None and walking[0] is self else self._all_patterns

    def resolve(self, path):
        match = self.pattern.match(str(path))
        candidates = self._by_segment.get(match[0].partition("/")[0]) if match else None
        if candidates is None:  # no such segment: Django's walk over everything, and its 404 with every route
            return super().resolve(path)
        token = _walking.set((self, candidates))
        try:
            return super().resolve(path)
        finally:
            _walking.reset(token)


def include_indexed(route: str, urlconf: str, *, namespace: str) -> SegmentIndexedResolver:
    """`path(route, include((urlconf, namespace)))`, resolved by first segment."""
    pattern = RoutePattern(route, is_endpoint=False)
    return SegmentIndexedResolver(pattern, urlconf, app_name=namespace, namespace=namespace)
