"""The county report: one self-contained HTML page in Chinese, plots embedded as base64 PNG.

Per county: the verdict by area, each school indicator's distribution against its standard
(and the 85% line where a 至少 N 项 rule allows one), the 差异系数 with each unit's share of
the weighted variance, failing county items, failing schools with their explanations and
remedies, and the 整改台账.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from engine.interpreter import ast as A
from engine.interpreter.check import expand_ids
from engine.interpreter.evaluate import Results
from engine.interpreter.explain import explain
from engine.interpreter.frames import COUNTY_STAGE, DATA_MISSING, FAIL, NAME_COLUMN, PASS, VERDICT_TEXT
from engine.interpreter.remedy import Problem
from engine.render.explanation import render_trace
from engine.render.ledger import COLUMNS, ledger_rows
from engine.render.numbers import fmt_number
from engine.render.remedies import remedier_for, render_remedies
from engine.render.summary import top_conclusion

CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "Noto Sans CJK JP"]
GREEN, AMBER, RED, GREY = "#3f8f5f", "#e0a526", "#c8394a", "#9aa0a6"
CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
 margin:0;background:#f4f5f7;color:#1d2329;line-height:1.6}
main{max-width:1080px;margin:0 auto;padding:24px 32px;background:#fff}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:20px;border-left:5px solid #1f4e79;padding-left:10px;margin-top:36px}
h3{font-size:16px;margin:22px 0 6px}.meta{color:#5f6b76;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{border:1px solid #d5d9de;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#1f4e79;color:#fff;font-weight:600}tr:nth-child(even) td{background:#fafbfc}
.badge{display:inline-block;padding:1px 10px;border-radius:10px;font-size:13px;color:#fff;white-space:nowrap}
.pass{background:#3f8f5f}.fail{background:#c8394a}.missing{background:#b7791f}.na{background:#9aa0a6}
.verdict{font-size:20px;padding:4px 16px}
pre{white-space:pre-wrap;font-family:"Noto Sans Mono CJK SC","Sarasa Mono SC",monospace;font-size:12.5px;
 background:#f7f8fa;border:1px solid #e3e6ea;padding:10px 12px;border-radius:4px;margin:6px 0}
.remedy{background:#fff8e6;border-left:4px solid #e0a526;padding:8px 12px;margin:6px 0 14px;font-size:13.5px;
 white-space:pre-wrap}
figure{margin:10px 0 18px}figure img{max-width:100%;border:1px solid #eceff2}
figcaption{font-size:12.5px;color:#5f6b76}details{margin:-4px 0 6px;font-size:13px}
summary{cursor:pointer;color:#1f4e79}.nw{white-space:nowrap}.w6{min-width:6em}.w8{min-width:8em}
.w20{min-width:20em}.small{font-size:12px;color:#5f6b76}
"""


@dataclass
class Panel:
    """One subplot: bars (label, value, colour) against a standard and an optional 85% line."""

    title: str
    labels: list[str]
    values: list[float]
    colors: list[str]
    standard: float | None
    rest: float | None
    places: int = 2  # decimals of the value printed at the end of each bar


def cjk_font() -> str | None:
    """A font with Chinese glyphs that matplotlib knows, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FONTS if f in names), None)


def _png(panels: list[Panel], xlabel: str, legend: tuple[str, str] | None) -> str:
    """Horizontal bar charts side by side, as a base64 PNG (labels in Chinese when a CJK font exists).

    Axes are placed by hand (no tight_layout: one draw per figure) and the PNG is reduced to a
    palette, so a report with a dozen plots stays small and quick."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    from engine.render.diagnostics import display_width

    font = cjk_font()
    rows = max(len(p.labels) for p in panels)
    width, height = 10.5, max(2.4, 0.24 * rows + 1.2)
    label_in = max(display_width(lab if font else "99") for p in panels for lab in p.labels) * 0.065 + 0.25
    rc: Any = {"font.family": "sans-serif", "font.sans-serif": [*([font] if font else []), "DejaVu Sans"],
          "axes.unicode_minus": False, "font.size": 9}
    with rc_context(rc), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = Figure(figsize=(width, height), dpi=100)
        share = 1 / len(panels)
        for i, p in enumerate(panels):
            left = i * share + label_in / width
            ax = fig.add_axes((left, 0.5 / height, share - label_in / width - 0.03, 1 - 0.95 / height))
            ys = np.arange(len(p.values))
            ax.barh(ys, p.values, color=p.colors, height=0.7)
            ax.set_yticks(ys, [lab if font else str(k + 1) for k, lab in enumerate(p.labels)])
            ax.set_ylim(rows - 0.5, -0.5)
            top = max([*p.values, p.standard or 0, 0]) * 1.18 or 1
            ax.set_xlim(0, top)
            for y, v in zip(ys, p.values, strict=True):
                ax.text(v + top * 0.01, float(y), f"{v:,.{p.places}f}", va="center", fontsize=7, color="#333")
            if p.standard is not None:
                ax.axvline(p.standard, color="#1d2329", lw=1.4, label=legend[0] if legend and font else "standard")
            if p.rest is not None:
                ax.axvline(p.rest, color="#555", lw=1.1, ls="--", label=legend[1] if legend and font else "85%")
            ax.set_title(p.title if font else "", fontsize=10, loc="left")
            ax.set_xlabel(xlabel if font else "")
            ax.grid(axis="x", color="#e5e7ea", lw=0.6)
            ax.set_axisbelow(True)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            if i == len(panels) - 1 and legend and p.standard is not None:
                fig.legend(*ax.get_legend_handles_labels(), loc="upper right", ncol=2, fontsize=8, frameon=False)
        return _encode(fig)


def _encode(fig: Any) -> str:
    """Render a figure and return it as a base64 PNG with a 96-colour palette."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").quantize(96, method=Image.Quantize.FASTOCTREE).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(b64: str, alt: str, caption: str) -> str:
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _trace_html(lines: list[str], keep: int = 14) -> str:
    """An explanation in <pre>; a long one (a county total over every school) folds its tail."""
    if len(lines) <= 40:
        return f"<pre>{_esc(chr(10).join(lines))}</pre>"
    return (f"<pre>{_esc(chr(10).join(lines[:keep]))}</pre><details><summary>展开其余 {len(lines) - keep} 行"
            f"</summary><pre>{_esc(chr(10).join(lines[keep:]))}</pre></details>")


def _remedy_html(lines: list[str], head: str = "") -> str:
    return f'<div class="remedy">{_esc(head + chr(10).join(lines))}</div>' if lines else ""


def _badge(verdict: int) -> str:
    cls = {PASS: "pass", FAIL: "fail", DATA_MISSING: "missing"}.get(verdict, "na")
    return f'<span class="badge {cls}">{VERDICT_TEXT[verdict]}</span>'


def _esc(text: str) -> str:
    return html.escape(text)


class _County:
    """Builds the sections of one county's report."""

    def __init__(self, results: Results, c: int, problems: list[Problem]) -> None:
        self.r, self.c = results, c
        self.rs = results.checked.ruleset
        self.env = results.env
        self.name = str(self.env.fields[(A.COUNTY, "县区")].v[c])
        self.problems = [p for p in problems if self._county_of(p.fkey, p.row) == c]
        names = [str(x) for x in self.env.fields[(A.SCHOOL, NAME_COLUMN)].v]
        self.prefix = self.name if all(n.startswith(self.name) for n in names) else ""

    def _county_of(self, fkey: str, row: int) -> int:
        return row if fkey == A.COUNTY else int(self.env.frames[fkey].up[A.COUNTY][row])

    def _rows(self, name: str) -> list[int]:
        item = self.r.items[name]
        return [r for r in range(self.env.frames[item.fkey].n) if self._county_of(item.fkey, r) == self.c]

    def short(self, subject: str) -> str:
        return subject.removeprefix(self.prefix) if self.prefix else subject

    def areas(self) -> list[tuple[str, list[str]]]:
        """The top conclusion's parts, each with every indicator beneath it."""
        top = top_conclusion(self.r)
        if top is None:
            return [("全部", [n for n, e in self.rs.items.items() if isinstance(e.decl, A.Indicator)])]
        return [(n, self._leaves(n)) for n in self._kids(top)]

    def _kids(self, name: str) -> list[str]:
        decl = self.rs.items[name].decl
        if not isinstance(decl, A.Conclusion) or decl.combo is None:
            return []
        return [n for n, _ in expand_ids(decl.combo.items, list(self.rs.items))]

    def _leaves(self, name: str) -> list[str]:
        if isinstance(self.rs.items[name].decl, A.Indicator):
            return [name]
        return list(dict.fromkeys(x for k in self._kids(name) for x in self._leaves(k)))

    # ------------------------------------------------------------ sections
    def overall(self) -> str:
        top = top_conclusion(self.r)
        out = ["<h2>一、总体结论</h2>"]
        if top is not None:
            v = int(self.r.items[top].verdict[self.c])
            out.append(f'<p>{_esc(self.rs.items[top].decl.title or top)}:<span class="badge verdict '
                       f'{"pass" if v == PASS else "fail"}">{VERDICT_TEXT[v]}</span></p>')
        out.append("<table><tr><th>领域</th><th>结论</th><th>未达标的项目</th><th>数据缺失的项目</th></tr>")
        for area, items in self.areas():
            item = self.r.items[area]
            v = int(item.verdict[self.c]) if item.fkey == A.COUNTY else FAIL
            fails = [n for n in items if any(int(self.r.items[n].verdict[r]) == FAIL for r in self._rows(n))]
            missing = [n for n in items if any(int(self.r.items[n].verdict[r]) == DATA_MISSING for r in self._rows(n))]
            out.append(f"<tr><td>{_esc(self.rs.items[area].decl.title or area)}</td><td>{_badge(v)}</td>"
                       f"<td>{_esc('、'.join(fails)) or '—'}</td><td>{_esc('、'.join(missing)) or '—'}</td></tr>")
        out.append("</table>")
        return "\n".join(out)

    def distributions(self) -> str:
        out = ["<h2>二、各指标在学校间的分布</h2>",
               '<p class="small">每根条表示一个学部(或学校)。绿色:达到要求;橙色:未达到要求但不低于要求的 85%'
               "(可计为余项);红色:未达到要求且低于 85%。实线为要求,虚线为要求的 85%。</p>"]
        for area, items in self.areas():
            figs = [f for n in items if (f := self._indicator_figure(n))]
            if figs:
                out.append(f"<h3>{_esc(self.rs.items[area].decl.title or area)}</h3>")
                out.extend(figs)
        return "\n".join(out)

    def _indicator_figure(self, name: str) -> str | None:
        decl = self.rs.items[name].decl
        item = self.r.items[name]
        if not isinstance(decl, A.Indicator) or item.fkey not in (A.UNIT, A.SCHOOL) or item.col.v.dtype == object \
                or self.r.checked.item_types.get(name) == "是否" or isinstance(decl.calc, A.Call):
            return None
        rows = [r for r in self._rows(name) if int(item.verdict[r]) in (PASS, FAIL)]
        if not rows:
            return None
        ratio = self._rest_ratio(name)
        stages = [str(self.env.frames[A.UNIT].stage[r]) for r in rows] if item.fkey == A.UNIT else [""] * len(rows)  # type: ignore[index]
        groups = {s: [r for r, st in zip(rows, stages, strict=True) if st == s] for s in dict.fromkeys(stages)}
        by_value = all(np.allclose(item.threshold[g], item.threshold[g[0]]) for g in groups.values())
        scale = 100.0 if decl.unit == "%" else 1.0
        panels, standards = [], []
        for stage, group in groups.items():
            th = {r: float(item.threshold[r]) for r in group}
            vals = {r: float(item.col.v[r]) * scale if by_value else
                    (float(item.col.v[r]) / th[r] * 100 if th[r] else 0.0) for r in group}
            order = sorted(group, key=lambda r: vals[r])
            std = th[group[0]] * scale if by_value else 100.0
            rest = std * float(ratio) if ratio is not None else None
            colors = [GREEN if int(item.verdict[r]) == PASS else AMBER if rest is not None and vals[r] >= rest else RED
                      for r in order]
            labels = [self.short(str(self.env.fields[(A.SCHOOL, NAME_COLUMN)].v[self._school(item.fkey, r)]))
                      for r in order]
            title = f"{stage}部({len(order)} 个)" if stage else f"学校({len(order)} 所)"
            places = 0 if by_value and all(float(v).is_integer() for v in vals.values()) else 2
            panels.append(Panel(title, labels, [vals[r] for r in order], colors, std, rest, places))
            standards.append(f"{stage}{' ' if stage else ''}{fmt_number(Fraction(str(round(std, 10))), None, trim=True)}")
        unit = decl.unit or ""
        xlabel = unit if by_value else "为要求的百分比(%)"
        unit = "%" if unit == "%" else f" {unit}"
        legend = ("要求", f"要求的 {fmt_number(ratio * 100, None, 0)}%" if ratio is not None else "")
        png = _png(panels, xlabel, legend)
        what = f"要求:{'、'.join(standards)}{unit}" if by_value else "各校要求不同,按“为要求的百分比”作图"
        title = f"{name} {decl.title or ''}"
        return f"<h3>{_esc(title)}</h3>" + _img(png, title, what)

    def _school(self, fkey: str, row: int) -> int:
        return row if fkey == A.SCHOOL else int(self.env.frames[A.UNIT].up[A.SCHOOL][row])

    def _rest_ratio(self, name: str) -> Fraction | None:
        for entry in self.rs.items.values():
            d = entry.decl
            if isinstance(d, A.Conclusion) and d.combo is not None and d.combo.rest_ratio is not None and \
                    name in [n for n, _ in expand_ids(d.combo.items, list(self.rs.items))]:
                return d.combo.rest_ratio
        return None

    def cvs(self) -> str:
        names = [n for n, e in self.rs.items.items() if isinstance(e.decl, A.Indicator)
                 and isinstance(e.decl.calc, A.Call) and e.decl.calc.func == "差异系数"]
        if not names:
            return ""
        rem = remedier_for(self.r)
        out = ["<h2>三、校际差异系数</h2>", '<p class="small">按在校生数加权;「贡献」为该学部对加权方差'
               "Σ P(X − X̄)² 的份额,份额大的学部离均值远、学生多。</p>",
               "<table><tr><th>指标</th><th>学段</th><th>差异系数</th><th>上限</th><th>结论</th>"
               "<th>贡献最大的学部</th></tr>"]
        failing: list[tuple[str, int]] = []
        for name in names:
            item = self.r.items[name]
            for r in self._rows(name):
                v = int(item.verdict[r])
                stage = str(self.env.frames[COUNTY_STAGE].stage[r]) if item.fkey == COUNTY_STAGE else ""  # type: ignore[index]
                parts = rem.contributions(name, r)
                top = "、".join(f"{self.short(x.subject.split(' · ')[0])} {fmt_number(x.share * 100, None, 1)}%"
                               for x in parts[1][:2]) if parts else "—"
                value = f"{item.col.v[r]:.4f}" if item.col.s[r] == 0 else "—"
                out.append(f"<tr><td>{_esc(name)}</td><td>{_esc(stage)}</td><td>{value}</td>"
                           f"<td>{item.threshold[r]:g}</td><td>{_badge(v)}</td><td>{_esc(top)}</td></tr>")
                if v == FAIL:
                    failing.append((name, r))
        out.append("</table>")
        for name, r in failing:
            out.append(self._cv_detail(name, r))
        return "\n".join(out)

    def _cv_detail(self, name: str, r: int) -> str:
        rem = remedier_for(self.r)
        parts = rem.contributions(name, r)
        trace = explain(self.r, name, self.r.items[name].fkey, r)
        lines = render_remedies(trace, self.r)
        out = [f"<h3>{_esc(trace.subject)} · {_esc(name)} 未达标</h3>"]
        if parts:
            mean, contribs = parts
            labels = [self.short(x.subject.split(" · ")[0]) for x in contribs]
            colors = [AMBER if x.value < mean else "#4a78a8" for x in contribs]
            png = _png([Panel("各学部对加权方差的份额(%)", labels, [float(x.share * 100) for x in contribs], colors,
                              None, None)], "份额(%)", None)
            out.append(_img(png, f"{name} 贡献", "蓝色:高于加权均值;橙色:低于加权均值"))
        out.append(_remedy_html(lines))
        return "\n".join(out)

    def county_items(self) -> str:
        probs = [p for p in self.problems if p.fkey in (A.COUNTY, COUNTY_STAGE) and p.cv is None]
        if not probs:
            return "<h2>四、县级项目</h2><p>县级项目全部达标。</p>"
        out = ["<h2>四、未达标或数据缺失的县级项目</h2>"]
        for p in probs:
            trace = explain(self.r, p.item, p.fkey, p.row)
            out.append(_trace_html(render_trace(trace)))
            out.append(_remedy_html(render_remedies(trace, self.r)))
        return "\n".join(out)

    def schools(self) -> str:
        """Per school: each failing unit's explanation, then the remedies (a combined plan last)."""
        out = ["<h2>五、有项目未达标的学校</h2>"]
        by_school: dict[int, list[Problem]] = {}
        for p in self.problems:
            if p.fkey in (A.UNIT, A.SCHOOL):
                by_school.setdefault(self._school(p.fkey, p.row), []).append(p)
        for school, ps in by_school.items():
            out.append(f"<h3>{_esc(str(self.env.fields[(A.SCHOOL, NAME_COLUMN)].v[school]))}</h3>")
            combos = {(p.fkey, p.row): p for p in ps if p.combo is not None}
            for p in ps:
                if (p.fkey, p.row) in combos and p.combo is None:
                    continue  # shown with its unit's combined requirement below
                trace = explain(self.r, p.item, p.fkey, p.row)
                out.append(_trace_html(render_trace(trace, in_combo=self._passing_combo(p))))
                if p.combo is not None:
                    for q in ps:
                        if q.combo is None and (q.fkey, q.row) == (p.fkey, p.row):
                            inner = explain(self.r, q.item, q.fkey, q.row)
                            out.append(_remedy_html(render_remedies(inner, self.r), f"{q.item} "))
                out.append(_remedy_html(render_remedies(trace, self.r)))
        if not by_school:
            out.append("<p>没有学校有未达标的项目。</p>")
        return "\n".join(out)

    def _passing_combo(self, p: Problem) -> A.Combo | None:
        """The 至少 N 项 rule that counts this failure as a 余项 (so the gap line says so)."""
        for name, entry in self.rs.items.items():
            d = entry.decl
            if isinstance(d, A.Conclusion) and d.combo is not None and d.combo.rest_ratio is not None and \
                    self.r.items[name].fkey == p.fkey and p.item in self._kids(name):
                return d.combo
        return None

    def ledger(self) -> str:
        rows = ledger_rows(self.r, self.problems)
        cols = [c for c in COLUMNS if c not in ("县区", "依据", "整改时限")]
        cls = {"序号": "nw", "学段": "nw", "学校": "w6", "指标": "w8", "整改建议": "w20"}
        head = "".join(f"<th class='{cls.get(c, '')}'>{c}</th>" for c in cols)
        body = "".join("<tr>" + "".join(f"<td class='{cls.get(c, '')}'>{_esc(r[c]).replace(chr(10), '<br>')}</td>"
                                        for c in cols) + "</tr>" for r in rows)
        return f"<h2>六、整改台账</h2><p class='small'>共 {len(rows)} 个问题。</p><table><tr>{head}</tr>{body}</table>"


def render_report(results: Results, as_of: str, warnings_: list[str] | None = None) -> str:
    """The whole report as one HTML document (no external files)."""
    rs = results.checked.ruleset
    problems = remedier_for(results).problems()
    counties = [str(x) for x in results.env.fields[(A.COUNTY, "县区")].v]
    title = f"{'、'.join(counties)}县域义务教育优质均衡发展督导评估测算报告"
    meta = f"规则集:{rs.name}({rs.title or ''}{' · ' + rs.docno if rs.docno else ''}) · 评估日期:{as_of} · 由 junheng 生成"
    parts = [f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{_esc(title)}</title>",
             f"<style>{CSS}</style></head><body><main>", f"<h1>{_esc(title)}</h1><p class='meta'>{_esc(meta)}</p>"]
    for c in range(len(counties)):
        county = _County(results, c, problems)
        if len(counties) > 1:
            parts.append(f"<h1>{_esc(county.name)}</h1>")
        parts += [county.overall(), county.distributions(), county.cvs(), county.county_items(), county.schools(),
                  county.ledger()]
    if warnings_:
        parts.append("<h2>提示</h2><ul>" + "".join(f"<li>{_esc(w)}</li>" for w in warnings_) + "</ul>")
    parts.append("<p class='small'>本报告由规则计算得出,数值为精确计算结果;整改建议为满足要求的最小改动,"
                 "各方案择一即可,请结合实际核实。</p></main></body></html>")
    return "\n".join(parts)
