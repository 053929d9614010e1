from rest_framework import serializers

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
