"""A pydantic model of one record, generated from the field specs (same parsing as the loader)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from engine.facts.parse import Bad, parse_number, parse_text, parse_yes_no
from engine.facts.read import FractionCell
from engine.facts.spec import TEXT, YES_NO, FieldSpec, specs_for


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str | int | float | FractionCell):
        return value
    return str(value)


def _check(spec: FieldSpec, value: Any) -> float | str | None:
    cell = _cell(value)
    if spec.type == TEXT:
        return parse_text(cell)
    result = (parse_yes_no if spec.type == YES_NO else parse_number)(cell, spec)
    if isinstance(result, Bad):
        raise ValueError(f"「{spec.name}」的值「{value}」{result.what}:{result.hint}")
    return None if result != result else result  # NaN → None: JSON has no NaN


def record_model(specs: Sequence[FieldSpec], entity: str) -> type[BaseModel]:
    """A model whose fields are the entity's declared columns, keyed by their Chinese names.

    Validation parses exactly as the loader does (percent columns become fractions, empty
    values None); undeclared keys are kept. Its JSON Schema documents the columns.
    """
    fields: dict[str, Any] = {}
    for i, spec in enumerate(specs_for(entity, specs).values()):
        kind: Any = str | None if spec.type == TEXT else float | None
        extra: dict[str, Any] = {"type_zh": spec.type, "unit": spec.unit}
        info = Field(alias=spec.name, title=spec.title or spec.name, json_schema_extra=extra)
        if not spec.required:
            info = Field(None, alias=spec.name, title=spec.title or spec.name, json_schema_extra=extra)
        fields[f"f{i}"] = (Annotated[kind, BeforeValidator(partial(_check, spec))], info)
    config = ConfigDict(extra="allow")
    model: type[BaseModel] = create_model(f"{entity}记录", __config__=config, **fields)
    return model
