"""Ninja output schemas derived from the frozen dataclasses that selectors return, so that a
read model's fields are declared once.

`OutputSchemas.derive(Dataclass, name=..., doc=...)` builds a `ninja.Schema` with the
dataclass's fields, in their order and with their types, followed by the properties named in
`computed` (typed by their return annotation). Only the API's wording is added here: the
component name, its description and per-field descriptions. Every field is required: an
output always carries it, whatever the dataclass's default. Types become their API form:

- a nested dataclass becomes the schema derived from it (derive the inner one first);
- `Decimal` becomes a JSON number (`float`);
- a `date` field named in `iso_dates` becomes its ISO text (`"2026-11-29"`, `str` in the
  schema).

A field renamed, added or retyped in the dataclass changes the schema with it, and a name in
`exclude`, `computed`, `iso_dates` or `descriptions` that the dataclass does not have fails
at import, so a schema and its read model cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import operator
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field, create_model


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


class OutputSchemas:
    """The output schemas of one module, each derived from a dataclass; a dataclass nested in
    another is answered with the schema derived from it."""

    def __init__(self, module: str) -> None:
        self.module = module
        self._derived: dict[type, type[Schema]] = {}

    def derive(
        self,
        source: type,
        *,
        name: str,
        doc: str,
        exclude: Collection[str] = (),
        computed: Sequence[str] = (),
        iso_dates: Collection[str] = (),
        descriptions: Mapping[str, str] | None = None,
    ) -> type[Schema]:
        """The schema `name` (the OpenAPI component) of `source`'s fields (see the module)."""
        if not (dataclasses.is_dataclass(source) and isinstance(source, type)):
            raise TypeError(f"{source!r} is not a dataclass")
        if source in self._derived:
            raise ValueError(f"{source.__name__} already has a schema")
        descriptions = dict(descriptions or {})
        hints = typing.get_type_hints(source)
        names = [f.name for f in dataclasses.fields(source)]
        _known(source, "exclude", exclude, names)
        _known(source, "iso_dates", iso_dates, names)
        fields: dict[str, Any] = {}
        for field_name in names:
            if field_name not in exclude:
                hint = self._api_type(hints[field_name], iso=field_name in iso_dates)
                if field_name in iso_dates:
                    hint = Annotated[hint, BeforeValidator(_iso)]
                fields[field_name] = hint
        for prop in computed:
            fields[prop] = self._api_type(_property_type(source, prop), iso=False)
        _known(source, "descriptions", descriptions, list(fields))
        definitions: dict[str, Any] = {
            field_name: (hint, Field(description=descriptions.get(field_name)))
            for field_name, hint in fields.items()
        }
        schema = create_model(
            name,
            __base__=Schema,
            __module__=self.module,
            __qualname__=name,
            __doc__=doc,
            **definitions,
        )
        self._derived[source] = schema
        return schema

    def _api_type(self, hint: Any, *, iso: bool) -> Any:
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            if hint not in self._derived:
                raise TypeError(f"derive the schema of {hint.__name__} before its container")
            return self._derived[hint]
        if hint is Decimal:
            return float
        if iso and hint is date:
            return str
        if iso and hint is datetime:
            raise TypeError("iso_dates takes date fields; a datetime keeps its own format")
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            return functools.reduce(operator.or_, (self._api_type(a, iso=iso) for a in args))
        if origin in (list, dict, tuple, set, frozenset) and args:
            inner = tuple(self._api_type(a, iso=iso) for a in args)
            return origin[inner]
        if iso and hint is not type(None):
            raise TypeError(f"iso_dates takes date fields, not {hint!r}")
        return hint


def _known(source: type, option: str, given: Collection[str], names: Sequence[str]) -> None:
    unknown = set(given) - set(names)
    if unknown:
        raise TypeError(f"{source.__name__} has no {', '.join(sorted(unknown))} ({option})")


def _property_type(source: type, name: str) -> Any:
    prop = inspect.getattr_static(source, name, None)
    if not isinstance(prop, property) or prop.fget is None:
        raise TypeError(f"{source.__name__}.{name} is not a property (computed)")
    return typing.get_type_hints(prop.fget)["return"]
