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
    """`serializer_related_field` of read serializers whose list view prefetches their to-many relations."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS})
        return ListedManyRelatedField(**list_kwargs)
