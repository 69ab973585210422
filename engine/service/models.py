"""Request bodies of the JSON endpoints (pydantic). Keys are English; the Chinese ones work too."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

MAX_RECORDS = 200_000
MAX_RULE_TEXT = 1_000_000
Stage = Literal["小学", "初中"]


def _alias(*names: str) -> Any:
    return AliasChoices(*names)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FactsBody(_Body):
    """A rule set, a date and the facts as records (one object per row of 学校表 / 县区表)."""

    ruleset: str = Field("国家", max_length=64, validation_alias=_alias("ruleset", "规则集"),
                         description="规则集名称,如 国家、河北")
    as_of: date | None = Field(None, validation_alias=_alias("as_of", "评估日期"),
                               description="评估日期(决定参数取值),默认今天")
    schools: list[dict[str, Any]] = Field(..., min_length=1, max_length=MAX_RECORDS,
                                          validation_alias=_alias("schools", "学校表"),
                                          description="学校表:每校一条记录,键为中文列名")
    counties: list[dict[str, Any]] | None = Field(None, max_length=MAX_RECORDS,
                                                  validation_alias=_alias("counties", "县区表"),
                                                  description="县区表:每县一条记录")


class EvaluateBody(FactsBody):
    format: Literal["json", "xlsx"] = Field("json", validation_alias=_alias("format", "格式"),
                                            description="json:结果文档;xlsx:结果工作簿")


class TargetFields(_Body):
    school: str | None = Field(None, max_length=200, validation_alias=_alias("school", "学校"),
                               description="学校名称或 10 位学校标识码")
    county: str | None = Field(None, max_length=200, validation_alias=_alias("county", "县区"),
                               description="县区名称(解释县级项目)")
    indicator: str | None = Field(None, max_length=200, validation_alias=_alias("indicator", "指标"),
                                  description="指标或结论编号,如 R4、资源配置达标")
    stage: Stage | None = Field(None, validation_alias=_alias("stage", "学段"), description="只看某个学段")


class ExplainBody(FactsBody, TargetFields):
    """Facts and what to explain: a school or a county (one of the two)."""


class RemediesBody(FactsBody, TargetFields):
    """Facts, optionally one school; format xlsx gives the 整改台账."""

    format: Literal["json", "xlsx"] = Field("json", validation_alias=_alias("format", "格式"))


class DiffBody(_Body):
    """Two rule sets by name; with facts, the verdicts that flip between them."""

    a: str = Field(..., max_length=64, description="规则集 A(原来的)")
    b: str = Field(..., max_length=64, description="规则集 B(比较的)")
    as_of: date | None = Field(None, validation_alias=_alias("as_of", "评估日期"))
    schools: list[dict[str, Any]] | None = Field(None, min_length=1, max_length=MAX_RECORDS,
                                                 validation_alias=_alias("schools", "学校表"))
    counties: list[dict[str, Any]] | None = Field(None, max_length=MAX_RECORDS,
                                                  validation_alias=_alias("counties", "县区表"))


class CheckBody(_Body):
    """A rule file's text, checked with the loaded packs (optionally replacing one of their files)."""

    text: str = Field(..., max_length=MAX_RULE_TEXT, validation_alias=_alias("text", "文本"),
                      description="规则文件的全文")
    replaces: str | None = Field(None, max_length=300, validation_alias=_alias("replaces", "替换"),
                                 description="这段文字是哪个已加载规则文件的新版本(如 rules/provinces/河北/河北.rule)")
    filename: str | None = Field(None, max_length=200, validation_alias=_alias("filename", "文件名"),
                                 description="在诊断中如何称呼这段文字")
    as_of: date | None = Field(None, validation_alias=_alias("as_of", "评估日期"))
