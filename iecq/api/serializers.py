import copy
from typing import ClassVar

from rest_framework import serializers


class ProblemErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details; `code` is stable and meant for programs."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    instance = serializers.CharField(required=False)
    errors = ProblemErrorSerializer(many=True, required=False)


class TransitionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class TransitionLogEntrySerializer(serializers.Serializer):
    """One row of a record's history."""

    at = serializers.DateTimeField()
    transition = serializers.CharField()
    source = serializers.CharField()
    target = serializers.CharField()
    reason = serializers.CharField()
    actor = serializers.CharField(source="actor_label")


class _IntrospectedOnce:
    """The fields a ModelSerializer builds from its model, introspected once per class rather than per request.

    DRF's `ModelSerializer.get_fields` reads the model's fields and builds each serializer field's class and
    arguments on every instantiation (every request); only the result depends on nothing but the class. The
    first instance records, for each field it built, the class and arguments it was constructed with, and
    later instances construct new fields from them (declared fields are copied as DRF does). A class whose
    fields include a nested serializer keeps DRF's way.
    """

    _field_recipe: ClassVar[list | None] = None
    _recipe_unusable: ClassVar[bool] = False

    def get_fields(self):
        cls = type(self)
        recipe = cls.__dict__.get("_field_recipe")
        if recipe is None:
            fields = super().get_fields()
            if not cls.__dict__.get("_recipe_unusable"):
                recipe = _recipe(fields, set(self._declared_fields))
                cls._field_recipe, cls._recipe_unusable = recipe, recipe is None
            return fields
        declared = copy.deepcopy(self._declared_fields)
        fields = {}
        for name, spec in recipe:
            if spec is None:
                fields[name] = declared[name]
            else:
                field_class, args, kwargs = spec
                fields[name] = field_class(*args, **kwargs)
        return fields


def _recipe(fields: dict, declared: set[str]) -> list | None:
    recipe = []
    for name, field in fields.items():
        if name in declared:
            recipe.append((name, None))
        elif isinstance(field, serializers.ManyRelatedField):
            child = field.child_relation  # rebuilt through many_init, as DRF built it
            recipe.append((name, (type(child), child._args, {**child._kwargs, "many": True})))
        elif isinstance(field, serializers.BaseSerializer):
            return None
        else:
            recipe.append((name, (type(field), field._args, field._kwargs)))
    return recipe


_INTROSPECTED: dict[type, type] = {}


def introspected_once(serializer_class: type) -> type:
    """`serializer_class` with its model fields introspected once (see `_IntrospectedOnce`); same name and schema."""
    if not issubclass(serializer_class, serializers.ModelSerializer):
        return serializer_class
    found = _INTROSPECTED.get(serializer_class)
    if found is None:
        attrs = {"__module__": serializer_class.__module__, "__qualname__": serializer_class.__qualname__,
                 "__doc__": serializer_class.__doc__}  # fmt: skip
        found = _INTROSPECTED[serializer_class] = type(
            serializer_class.__name__, (_IntrospectedOnce, serializer_class), attrs
        )
    return found
