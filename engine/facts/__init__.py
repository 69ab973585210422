"""Facts loading: 学校表 / 县区表 from xlsx, csv or json into typed numpy columns, validated.

Public API: `load_facts` (both files, raises `FactsError` with every error at once),
`read_table` (one file, returns its diagnostics), `Table`, `Facts`, `FieldSpec`, and
`record_model` (a pydantic model of one record, for single-record requests and JSON Schema).
"""

from __future__ import annotations

from typing import Any

from engine.facts.load import load_facts, load_records, read_table
from engine.facts.spec import COUNTY, SCHOOL, FieldSpec
from engine.facts.table import Facts, Table


def __getattr__(name: str) -> Any:
    # pydantic is imported only by what needs the record model (the service, schemas), not by
    # every `junheng eval`
    if name == "record_model":
        from engine.facts.model import record_model

        return record_model
    raise AttributeError(name)

__all__ = ["COUNTY", "SCHOOL", "Facts", "FieldSpec", "Table", "load_facts", "load_records", "read_table", "record_model"]
