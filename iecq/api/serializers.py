import copy
from typing import ClassVar

from django.conf import settings
from django.utils import timezone
from django_countries.fields import CountryField as CountryModelField
from django_countries.serializer_fields import CountryField as CountrySerializerField
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, RelatedField
from rest_framework.settings import api_settings

from .fields import ListedManyRelatedField, ListedPrimaryKeyRelatedField, listed_attr


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

    def to_representation(self, instance):
        plan = self.__dict__.get("_representation_plan")
        if plan is None:
            shared = _shared_plan(type(self))
            plan = self._representation_plan = shared if shared is not None else _representation_plan(self)
        if plan is False or not FAST_REPRESENTATION:
            return super().to_representation(instance)
        zone = self.__dict__.get("_zone")
        if zone is None:  # read once per serializer (a page), not per datetime: it cannot change within a response
            zone = self._zone = timezone.get_current_timezone()
        return _represent(instance, plan, zone)


def _represent(instance, plan: list, zone) -> dict:
    """One row written by its `_representation_plan`, its datetimes in the time zone `zone`."""
    ret = {}
    for name, how, field in plan:
        if how is _COLUMN:  # a model column: read it, convert it as the field does
            value = getattr(instance, field.source)
            ret[name] = None if value is None else field.to_representation(value)
        elif how is _DATETIME:  # an aware datetime column in ISO 8601, as DateTimeField writes it
            value = getattr(instance, field.source)
            if value is None or value.tzinfo is None:
                ret[name] = None if value is None else field.to_representation(value)
                continue
            text = value.astimezone(zone).isoformat()
            ret[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
        elif how is _COUNTRY:  # a country code column shown as its code
            serializer_field, attname = field
            code = instance.__dict__.get(attname)
            if code is None:
                ret[name] = serializer_field.to_representation(getattr(instance, serializer_field.source))
                continue
            normal = _alpha2(serializer_field.countries, code)
            ret[name] = normal if normal else (None if serializer_field.allow_null else "")
        elif how is _FOREIGN_KEY_ID:  # a foreign key shown as its id: the id column, no related row
            ret[name] = getattr(instance, field)
        elif how is _LISTED:  # a to-many relation's ids, as the list view attached them (attach_listed_ids)
            source, many_field = field
            ids = instance.__dict__.get(source)
            ret[name] = ids if ids is not None else many_field.to_representation(many_field.get_attribute(instance))
        elif how is _NESTED:  # a related row (selected with the list) written by its serializer's own plan
            source, nested_plan = field
            value = getattr(instance, source)
            ret[name] = None if value is None else _represent(value, nested_plan, zone)
        elif how is _ATTRIBUTE and (value := _plain_attribute(instance, field.source_attrs)) is not _UNPLAIN:
            ret[name] = None if value is None else field.to_representation(value)
        else:  # anything else exactly as DRF's Serializer.to_representation does it
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else field.to_representation(attribute)
    return ret


def _plain_attribute(instance, attrs: list[str]):
    """The value at the end of `attrs` when every step is a plain attribute of a row (a model property, a related
    row's column), else `_UNPLAIN`: a missing or None step, a callable or an exception is left to DRF's own
    `Field.get_attribute`, which calls methods, catches `ObjectDoesNotExist` and applies defaults."""
    value = instance
    try:
        for attr in attrs:
            if value is None or callable(value):
                return _UNPLAIN
            value = getattr(value, attr)
    except Exception:  # DRF decides what each exception means, on its own path
        return _UNPLAIN
    return _UNPLAIN if callable(value) else value


# Off only in the test that compares both ways for every list (tests/test_api_queries.py).
FAST_REPRESENTATION = True
_COLUMN, _DATETIME, _COUNTRY, _FOREIGN_KEY_ID, _NESTED, _LISTED, _ATTRIBUTE, _AS_DRF, _UNPLAIN = (
    object() for _ in range(9)
)
# The steps above that use nothing of the request: a plan made only of them is made once per class.
_CONTEXT_FREE = (_COLUMN, _DATETIME, _COUNTRY, _FOREIGN_KEY_ID, _LISTED, _ATTRIBUTE)
_SHARED_PLANS: dict[type, list | bool] = {}


def _shared_plan(serializer_class: type) -> list | None:
    """The representation plan of `serializer_class`, made once for the class when none of its steps reads the
    serializer's context (the request): a list request then builds no field at all. DRF builds and binds every
    field of the serializer per request, only for the plan to read their arguments; the fields a context-free
    plan holds belong to an instance made without context, so no request is kept past its response. None when
    some step needs the request's own fields (the plan is then made per serializer, as before)."""
    found = _SHARED_PLANS.get(serializer_class)
    if found is None:
        plan = _representation_plan(serializer_class())
        found = _SHARED_PLANS[serializer_class] = plan if plan is not False and _context_free(plan) else False
    return found or None


_RELATED_COLUMNS: dict[tuple[type, tuple[str, ...]], list[str] | None] = {}


def related_columns(serializer_class: type, model: type, relations: tuple[str, ...]) -> list[str] | None:
    """`only()` paths for a list that selects `relations` with its rows: every column of the row, and of each
    related row only the columns the list prints (`source="certificate.number"`). A related row has a dozen or
    more columns; building it whole, for one of them, was most of a page of suspension requests.

    None (load everything) unless the serializer's plan is made once per class and says what it reads: a
    property of the row or a method might read any column of a related row, and a column left out would cost a
    query per row (tests/test_api_queries.py counts them). A relation printed some other way (a nested
    serializer) is loaded whole."""
    key = (serializer_class, relations)
    if key not in _RELATED_COLUMNS:
        _RELATED_COLUMNS[key] = _related_columns(serializer_class, model, relations)
    return _RELATED_COLUMNS[key]


def _related_columns(serializer_class: type, model: type, relations: tuple[str, ...]) -> list[str] | None:
    plan = _shared_plan(serializer_class) if issubclass(serializer_class, _IntrospectedOnce) else None
    if plan is None:
        return None
    used: dict[str, set[str] | None] = {name: set() for name in relations}
    for _name, how, field in plan:
        if how is _ATTRIBUTE:
            attrs = field.source_attrs
            if len(attrs) == 1:  # a property of the row: what it reads is unknown
                return None
            if attrs[0] not in used or used[attrs[0]] is None:
                continue
            target = model._meta.get_field(attrs[0]).related_model
            column = next((f for f in target._meta.concrete_fields if f.name == attrs[1]), None)
            if len(attrs) == 2 and column is not None and not column.is_relation:
                used[attrs[0]].add(attrs[1])
            else:
                used[attrs[0]] = None
        elif how is _NESTED and field[0] in used:
            used[field[0]] = None
    paths = [f.name for f in model._meta.concrete_fields]
    restricted = False
    for name, columns in used.items():
        if not columns:  # loaded whole: name none of its columns
            continue
        restricted = True
        paths.extend(f"{name}__{column}" for column in sorted(columns))
    return paths if restricted else None


def _context_free(plan: list) -> bool:
    return all(_step_context_free(how, field) for _name, how, field in plan)


def _step_context_free(how: object, field: object) -> bool:
    if how is _NESTED:
        return _context_free(field[1])
    if how in (_COLUMN, _DATETIME, _ATTRIBUTE):  # DRF's own field classes; one of ours might read the context
        return type(field).to_representation.__module__.startswith("rest_framework.")
    return how in _CONTEXT_FREE


# (id of a Countries instance, stored code) -> (that instance, its normalised code): `Countries.alpha2` reads the
# translated country table on every call (two context lookups); the answer depends only on the code.
_ALPHA2: dict[tuple[int, str], tuple[object, str]] = {}


def _alpha2(countries, code: str) -> str:
    key = (id(countries), code)
    found = _ALPHA2.get(key)
    if found is None or found[0] is not countries:  # the instance is held, so its id is not reused
        if len(_ALPHA2) > 10_000:  # a bound, should instances ever be made per request
            _ALPHA2.clear()
        found = _ALPHA2[key] = (countries, countries.alpha2(code))
    return found[1]


# Fields whose to_representation depends only on the value (no context, no request).
_VALUE_FIELDS = (
    serializers.CharField,
    serializers.IntegerField,
    serializers.BooleanField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.DecimalField,
    serializers.FloatField,
    serializers.UUIDField,
    serializers.JSONField,
    serializers.ReadOnlyField,
)


def _representation_plan(serializer) -> list | bool:
    """How `_IntrospectedOnce.to_representation` writes each readable field, or False to leave it all to DRF.

    DRF's `Serializer.to_representation` asks every field to find its attribute (`Field.get_attribute`: a walk
    over `source_attrs` with callables, mappings and missing-attribute handling) and, for a foreign key, builds a
    `PKOnlyObject` to print its id: a third of a 50-row page of certificates. For a field that is a model
    column under its own name the walk is one `getattr`; for a foreign key shown as its id it is the id column;
    a nested serializer of a forward relation (an appeal's decision) writes the related row by its own plan; an
    aware datetime is converted to the current time zone read once per page (DRF reads it for every datetime); a
    country column is printed from its stored code, normalised once per code (`_alpha2`).
    Everything else goes through DRF's own steps, and a serializer that defines its own `to_representation`
    is left to it entirely. The output is the same, key for key (compared for every list in the tests)."""
    mro = [c for c in type(serializer).__mro__ if c is not _IntrospectedOnce]
    own = next(c for c in mro if "to_representation" in c.__dict__)
    if own is not serializers.Serializer:
        return False
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    if model is None:
        return False
    columns = {f.name: f for f in model._meta.concrete_fields}
    plan = []
    for field in serializer._readable_fields:
        column = columns.get(field.source) if len(field.source_attrs) == 1 else None
        as_usual = type(field).get_attribute in (serializers.Field.get_attribute, RelatedField.get_attribute)
        if (
            type(field) is ListedManyRelatedField
            and type(field.child_relation) is ListedPrimaryKeyRelatedField
            and field.child_relation.pk_field is None
            and len(field.source_attrs) == 1
        ):  # a to-many relation's ids as attached by the list view (plain ints); else read as DRF does
            plan.append((field.field_name, _LISTED, (listed_attr(field.source), field)))
        elif not as_usual:
            plan.append((field.field_name, _AS_DRF, field))
        elif (
            column is not None
            and type(field) is serializers.DateTimeField
            and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
            and not hasattr(field, "timezone")
            and settings.USE_TZ
        ):
            plan.append((field.field_name, _DATETIME, field))
        elif (
            column is not None
            and isinstance(column, CountryModelField)
            and not column.multiple
            and isinstance(field, CountrySerializerField)
            and not field.name_only
            and not field.country_dict
        ):
            plan.append((field.field_name, _COUNTRY, (field, column.attname)))
        elif column is not None and not column.is_relation and isinstance(field, _VALUE_FIELDS):
            plan.append((field.field_name, _COLUMN, field))
        elif (
            column is not None
            and (column.many_to_one or column.one_to_one)
            and isinstance(field, serializers.ModelSerializer)
            and type(field).get_attribute is serializers.Field.get_attribute
            and (nested_plan := _representation_plan(field))
        ):  # a nested serializer of a forward relation (an appeal's decision)
            plan.append((field.field_name, _NESTED, (column.name, nested_plan)))
        elif (
            column is not None
            and column.many_to_one
            and type(field) in (serializers.PrimaryKeyRelatedField, ListedPrimaryKeyRelatedField)
            and field.pk_field is None
        ):
            plan.append((field.field_name, _FOREIGN_KEY_ID, column.attname))
        elif (
            isinstance(field, _VALUE_FIELDS) and field.source != "*" and (column is None or not column.is_relation)
        ):  # a property of the row, or a column of a related row (`source="certificate.number"`)
            plan.append((field.field_name, _ATTRIBUTE, field))
        else:
            plan.append((field.field_name, _AS_DRF, field))
    return plan


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
