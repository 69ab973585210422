"""Field declarations for the facts tables, and the names the loader itself relies on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SCHOOL = "学校"
COUNTY = "县区"
ENTITIES = (SCHOOL, COUNTY)

INTEGER, NUMBER, YES_NO, TEXT = "整数", "数值", "是否", "文本"
TYPES = (INTEGER, NUMBER, YES_NO, TEXT)
NUMERIC_TYPES = (INTEGER, NUMBER)

ID_COLUMN = "学校标识码"
COUNTY_COLUMN = "县区"
STUDENT_COLUMNS = ("小学生数", "初中生数", "高中生数")

#: Sheet (xlsx) or key (JSON) that holds each entity's table when a file has several.
TABLE_NAMES = {SCHOOL: "学校表", COUNTY: "县区表"}
#: English keys also accepted in JSON documents (handy for the HTTP API).
TABLE_KEYS_EN = {SCHOOL: "schools", COUNTY: "counties"}

#: Columns the loader needs whatever the rule files declare: ids and the join key.
KEY_COLUMNS = {SCHOOL: (ID_COLUMN, COUNTY_COLUMN), COUNTY: (COUNTY_COLUMN,)}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One declared column of a facts table (from a rule file's 字段 declaration)."""

    name: str
    entity: str
    type: str
    unit: str | None = None
    required: bool = False
    nonnegative: bool = True
    title: str | None = None

    def __post_init__(self) -> None:
        if self.entity not in ENTITIES:
            raise ValueError(f"FieldSpec {self.name!r}: unknown entity {self.entity!r}")
        if self.type not in TYPES:
            raise ValueError(f"FieldSpec {self.name!r}: unknown type {self.type!r}")

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def percent(self) -> bool:
        return self.unit == "%"


def specs_for(entity: str, specs: Sequence[FieldSpec]) -> dict[str, FieldSpec]:
    """The specs of one entity by name, with the key columns added (as required text) if absent.

    A key column declared optional is still required: the loader cannot join or identify
    rows without it.
    """
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}")
    out = {s.name: s for s in specs if s.entity == entity}
    for key in KEY_COLUMNS[entity]:
        spec = out.get(key)
        if spec is None:
            out[key] = FieldSpec(key, entity, TEXT, required=True)
        elif not spec.required:
            out[key] = FieldSpec(key, entity, spec.type, spec.unit, True, spec.nonnegative, spec.title)
    return out
