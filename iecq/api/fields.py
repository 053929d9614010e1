from django.utils.translation import get_language
from django_countries import Countries
from django_countries.serializer_fields import CountryField as CountriesCountryField
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

from ..principals import PUBLIC
from ..selectors import visible


class VisiblePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key in a request body: only rows the caller may see are accepted.

    A foreign row and a missing row get the same "does not exist" error, so nothing leaks.
    """

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        principal = getattr(request, "principal", PUBLIC) if request is not None else PUBLIC
        return visible(self.model, principal)


def listed_attr(relation: str) -> str:
    """Where `PrefetchMixin` puts a page's rows of a to-many relation (a plain list, see iecq.api.viewsets)."""
    return f"_listed_{relation}"


class ListedManyRelatedField(serializers.ManyRelatedField):
    """A to-many relation: the list the list view prefetched when there is one, else the relation as usual."""

    def get_attribute(self, instance):
        rows = instance.__dict__.get(listed_attr(self.source))
        return rows if rows is not None else super().get_attribute(instance)


class ListedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """`serializer_related_field` of read serializers whose list view prefetches their to-many relations (as ids,
    `iecq.api.viewsets.attach_listed_ids`)."""

    def to_representation(self, value):
        return value if isinstance(value, int) else super().to_representation(value)

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS})
        return ListedManyRelatedField(**list_kwargs)


# (id of the Countries instance, language) -> (that instance, grouped choices, choices, strings to values)
_COUNTRY_CHOICES: dict[tuple[int, str | None], tuple] = {}


class CountryField(CountriesCountryField):
    """django-countries' serializer field, its ~250 choices processed once per language, not per request.

    DRF turns the choices into three lookup tables every time a serializer is built (once per request);
    for the country list, translated and sorted by name, that was up to a few milliseconds per list
    request (measured by `make bench`). The tables are only read; each language keeps its own.
    """

    def _set_choices(self, choices):
        if not isinstance(choices, Countries):
            return super()._set_choices(choices)
        key = (id(choices), get_language())
        cached = _COUNTRY_CHOICES.get(key)
        if cached is not None and cached[0] is choices:  # the instance is held, so its id is not reused
            _instance, self.grouped_choices, self._choices, self.choice_strings_to_values = cached
            return None
        super()._set_choices(choices)
        _COUNTRY_CHOICES[key] = (choices, self.grouped_choices, self._choices, self.choice_strings_to_values)
        return None
