"""The main job's Chinese summary: county verdict per area, failed items, failing schools, CVs."""

from __future__ import annotations

import numpy as np

from engine.interpreter import ast as A
from engine.interpreter.check import expand_ids
from engine.interpreter.evaluate import Results
from engine.interpreter.frames import COUNTY_STAGE, DATA_MISSING, FAIL, PASS, VERDICT_TEXT
from engine.render.explanation import MARK
from engine.render.numbers import fmt_number, fmt_result
from engine.render.rows import requirement_text

OVERALL = "优质均衡"


def top_conclusion(results: Results) -> str | None:
    """The county conclusion nothing else refers to (the overall verdict)."""
    rs = results.checked.ruleset
    referenced = {d for deps in results.checked.deps.values() for d in deps}
    tops = [n for n, e in rs.items.items()
            if isinstance(e.decl, A.Conclusion) and e.decl.level == A.COUNTY and n not in referenced]
    return tops[-1] if tops else None


def _county_verdict(results: Results, name: str, county: int) -> int:
    """An item's verdict for one county; rows below the county (学部, 学校, 学段) are combined."""
    item = results.items[name]
    if item.fkey == A.COUNTY:
        return int(item.verdict[county])
    rows = item.verdict[results.env.frames[item.fkey].up[A.COUNTY] == county]
    for code in (FAIL, DATA_MISSING, PASS):
        if (rows == code).any():
            return code
    return 2  # 不适用


def _value(results: Results, name: str, row: int) -> str:
    item = results.items[name]
    decl = results.checked.ruleset.items[name].decl
    if not isinstance(decl, A.Indicator) or item.col.s[row] != 0:
        return "—"
    v = item.col.v[row]
    if results.checked.item_types.get(name) == "是否":
        return "是" if v else "否"
    if item.col.v.dtype == object:
        return str(v)
    from decimal import Decimal
    from fractions import Fraction
    return fmt_result(Fraction(Decimal(repr(float(v)))), decl.unit)


def render_summary(results: Results, as_of: str, warnings: list[str] | None = None) -> str:
    rs = results.checked.ruleset
    env = results.env
    counties = env.fields[(A.COUNTY, "县区")].v
    top = top_conclusion(results)
    lines: list[str] = []
    docno = f" · {rs.docno}" if rs.docno else ""
    chain = "".join(f",继承 {info.name}({info.docno or '未注明文号'})" for info in rs.layers[:-1])
    lines.append(f"规则集:{rs.name}({rs.title or ''}{docno}{chain})  评估日期:{as_of}")
    groups = _Groups(results, len(counties))
    for c in range(len(counties)):
        lines.append("")
        lines.append(f"━━ {counties[c]} ━━")
        if top is not None:
            verdict = int(results.items[top].verdict[c])
            lines.append(f"总体结论:{rs.items[top].decl.title or top} —— {VERDICT_TEXT[verdict]}")
            decl = rs.items[top].decl
            assert isinstance(decl, A.Conclusion) and decl.combo is not None
            for name, _ in expand_ids(decl.combo.items, list(rs.items)):
                v = _county_verdict(results, name, c)
                lines.append(f"  {MARK[v]} {rs.items[name].decl.title or name}:{VERDICT_TEXT[v]}")
        lines.extend(_failed_county_items(results, c, groups))
        lines.extend(_failing_schools(results, c, groups))
        lines.extend(_cv_table(results, c, groups))
    if warnings:
        lines.append("")
        lines.append("提示:")
        lines.extend(f"  · {w}" for w in warnings)
    return "\n".join(lines)


class _Groups:
    """Rows of each frame grouped by county, computed once: the summary walks county by county,
    and scanning every row for every county made a national summary quadratic."""

    def __init__(self, results: Results, n_counties: int) -> None:
        self.results = results
        self.n = n_counties
        self._rows: dict[str, list[np.ndarray]] = {}
        self._failing: dict[str, list[np.ndarray]] = {}

    def _split(self, fkey: str, rows: np.ndarray) -> list[np.ndarray]:
        county = self.results.env.frames[fkey].up[A.COUNTY][rows]
        order = np.argsort(county, kind="stable")
        bounds = np.searchsorted(county[order], np.arange(self.n + 1))
        ordered = rows[order]
        return [ordered[bounds[c]:bounds[c + 1]] for c in range(self.n)]

    def rows(self, fkey: str, c: int) -> np.ndarray:
        """The rows of frame `fkey` in county `c`, in frame order."""
        if fkey not in self._rows:
            self._rows[fkey] = self._split(fkey, np.arange(self.results.env.frames[fkey].n))
        return self._rows[fkey][c]

    def failing(self, name: str, c: int) -> np.ndarray:
        """The rows of item `name` in county `c` that are 未达标."""
        if name not in self._failing:
            item = self.results.items[name]
            self._failing[name] = self._split(item.fkey, np.flatnonzero(item.verdict == FAIL))
        return self._failing[name][c]


def _failed_county_items(results: Results, c: int, groups: _Groups) -> list[str]:
    rs = results.checked.ruleset
    out: list[str] = []
    for name, entry in rs.items.items():
        item = results.items[name]
        decl = entry.decl
        if not isinstance(decl, A.Indicator) or item.fkey not in (A.COUNTY, COUNTY_STAGE):
            continue
        rows = [c] if item.fkey == A.COUNTY else groups.rows(COUNTY_STAGE, c).tolist()
        for r in map(int, rows):
            v = int(item.verdict[r])
            if v not in (FAIL, DATA_MISSING):
                continue
            stage = f"({results.env.frames[COUNTY_STAGE].stage[r]})" if item.fkey == COUNTY_STAGE else ""  # type: ignore[index]
            req = requirement_text(decl, float(item.threshold[r]), item)
            if v == FAIL:
                out.append(f"  ✗ {name}{stage} {decl.title or ''}:{_value(results, name, r)},要求 {req}")
            else:
                from engine.render.rows import missing_fields
                miss = "、".join(missing_fields(results, name, r)) or "无法计算"
                out.append(f"  ? {name}{stage} {decl.title or ''}:数据缺失({miss})")
    return (["", "未达标或数据缺失的县级项目:", *out]) if out else []


def _failing_schools(results: Results, c: int, groups: _Groups) -> list[str]:
    """One line per school (unit) that fails some item: which items and by how much."""
    rs = results.checked.ruleset
    env = results.env
    names = env.fields[(A.SCHOOL, "学校名称")].v
    per_row: dict[tuple[str, int], list[str]] = {}
    for name, entry in rs.items.items():
        item = results.items[name]
        decl = entry.decl
        if item.fkey not in (A.UNIT, A.SCHOOL) or not isinstance(decl, A.Indicator):
            continue
        for r in groups.failing(name, c):
            req = requirement_text(decl, float(item.threshold[r]), item)
            text = f"{name} {_value(results, name, int(r))}(要求 {req}"
            th, val = float(item.threshold[r]), float(item.col.v[r]) if item.col.v.dtype != object else np.nan
            if th > 0 and not np.isnan(val) and val < th:
                text += f",为要求的 {fmt_number(val / th * 100, None, 1)}%"
            per_row.setdefault((item.fkey, int(r)), []).append(text + ")")
    out: list[str] = []
    def school_of(key: tuple[str, int]) -> tuple[int, str]:
        fkey, row = key
        up = env.frames[fkey].up.get(A.SCHOOL)
        return (int(up[row]) if up is not None else row), fkey

    for (fkey, row), misses in sorted(per_row.items(), key=lambda kv: school_of(kv[0])):
        if fkey == A.UNIT:
            school = int(env.frames[A.UNIT].up[A.SCHOOL][row])
            who = f"{names[school]} · {env.frames[A.UNIT].stage[row]}部"  # type: ignore[index]
            concl = [n for n, e in rs.items.items() if isinstance(e.decl, A.Conclusion) and e.decl.level == A.UNIT]
            verdicts = [VERDICT_TEXT[int(results.items[n].verdict[row])] for n in concl]
            tag = f" [{rs.items[concl[0]].decl.title or concl[0]}:{verdicts[0]}]" if verdicts else ""
        else:
            who, tag = str(names[row]), ""
        out.append(f"  {who}{tag}:" + ";".join(misses))
    return (["", "有项目未达标的学校:", *out]) if out else []


def _cv_table(results: Results, c: int, groups: _Groups) -> list[str]:
    rs = results.checked.ruleset
    env = results.env
    stages = env.stages
    rows = groups.rows(COUNTY_STAGE, c).tolist()
    cv_items = [n for n, e in rs.items.items() if isinstance(e.decl, A.Indicator) and e.decl.by_stage
                and isinstance(e.decl.calc, A.Call) and e.decl.calc.func == "差异系数"]
    if not cv_items:
        return []
    out = ["", "校际差异系数(按在校生数加权):"]
    header = "  " + _pad("指标", 40) + "".join(_pad(s, 20) for s in stages)
    out.append(header.rstrip())
    for name in cv_items:
        item = results.items[name]
        cells = []
        for r in rows:
            v = int(item.verdict[r])
            req = requirement_text(rs.items[name].decl, float(item.threshold[r]), item)  # type: ignore[arg-type]
            val = "—" if item.col.s[r] != 0 else f"{item.col.v[r]:.3f}"
            cells.append(_pad(f"{MARK[v]} {val}({req})", 20))
        title = (rs.items[name].decl.title or name).replace("差异系数", "")
        out.append(("  " + _pad(f"{name[:2]} {title}", 40) + "".join(cells)).rstrip())
    n_pass = sum(int(results.items[n].verdict[r]) == PASS for n in cv_items for r in rows)
    out.append(f"  共 {len(cv_items) * len(rows)} 个差异系数,{n_pass} 个达标")
    return out


def _pad(text: str, width: int) -> str:
    """Pad to a display width (a Chinese character takes two columns)."""
    from engine.render.diagnostics import display_width

    return text + " " * max(1, width - display_width(text))
