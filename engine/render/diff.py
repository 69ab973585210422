"""Render a rule-set diff and its impact as Chinese text, Markdown (for a pull request) or JSON."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from engine.interpreter.diff import Change, Impact


def _who(row: dict[str, Any]) -> str:
    parts = [row.get("学校名称") or row.get("县区") or ""]
    if row.get("学段"):
        parts.append(f"{row['学段']}{'部' if row.get('学校名称') else ''}")
    return " · ".join(p for p in parts if p)


def _rate(a: int, n: int) -> str:
    return f"{a}/{n}({a / n * 100:.1f}%)" if n else "—"


def render_text(name_a: str, name_b: str, changes: list[Change], impact: Impact | None) -> str:
    lines = [f"规则集比较:{name_a} → {name_b}", ""]
    if not changes:
        lines.append("两个规则集在语义上相同(公式写法不同但含义相同的,视为相同)。")
    else:
        lines.append(f"规则差异({len(changes)} 处):")
        for c in changes:
            direction = f"〔{c.direction}〕" if c.direction else ""
            where = f"  [{c.where_b or c.where_a}]"
            lines.append(f"  {c.what} {c.kind} {c.name}:{c.detail}{direction}{where}")
    if impact is not None:
        lines.append("")
        if not impact.flips:
            lines.append("对数据的影响:没有任何结论发生变化。")
        else:
            counts = Counter((f.before, f.after) for f in impact.flips)
            summary = ",".join(f"{a}→{b} {n} 处" for (a, b), n in sorted(counts.items()))
            lines.append(f"对数据的影响:{len(impact.flips)} 处结论发生变化({summary})")
            for f in impact.flips:
                cause = "、".join(f.causes) or "(无法确定)"
                lines.append(f"  {f.item} {_who(f.row)}:{f.before} → {f.after}(原因:{cause})")
        if impact.rates:
            lines.append("")
            lines.append("达标率变化:")
            for r in impact.rates:
                lines.append(f"  {r['编号']} 按{r['分组']} {r['组']}:{_rate(r['A达标'], r['A总数'])} → "
                             f"{_rate(r['B达标'], r['B总数'])}")
    return "\n".join(lines)


def render_markdown(name_a: str, name_b: str, changes: list[Change], impact: Impact | None) -> str:
    out = [f"## 规则集比较:`{name_a}` → `{name_b}`", ""]
    if changes:
        out += ["| 操作 | 种类 | 名称 | 变化 | 方向 | 位置 |", "|---|---|---|---|---|---|"]
        for c in changes:
            out.append(f"| {c.what} | {c.kind} | `{c.name}` | {c.detail.replace('|', '｜')} | {c.direction or ''} | "
                       f"`{c.where_b or c.where_a or ''}` |")
    else:
        out.append("两个规则集在语义上相同。")
    if impact is not None:
        out.append("")
        out.append(f"### 对数据的影响:{len(impact.flips)} 处结论变化")
        if impact.flips:
            out += ["", "| 项目 | 对象 | 变化 | 原因 |", "|---|---|---|---|"]
            for f in impact.flips:
                out.append(f"| `{f.item}` {f.title} | {_who(f.row)} | {f.before} → **{f.after}** | "
                           f"{'、'.join(f'`{c}`' for c in f.causes)} |")
        if impact.rates:
            out += ["", "| 项目 | 分组 | 组 | 变化前 | 变化后 |", "|---|---|---|---|---|"]
            for r in impact.rates:
                out.append(f"| `{r['编号']}` | {r['分组']} | {r['组']} | {_rate(r['A达标'], r['A总数'])} | "
                           f"{_rate(r['B达标'], r['B总数'])} |")
    return "\n".join(out) + "\n"


def render_json(name_a: str, name_b: str, changes: list[Change], impact: Impact | None) -> str:
    doc: dict[str, Any] = {"规则集A": name_a, "规则集B": name_b,
                           "差异": [{"种类": c.kind, "名称": c.name, "操作": c.what, "说明": c.detail,
                                   "方向": c.direction, "位置B": c.where_b, "位置A": c.where_a} for c in changes]}
    if impact is not None:
        doc["翻转"] = [{"编号": f.item, "名称": f.title, **f.row, "变化前": f.before, "变化后": f.after,
                      "原因": f.causes} for f in impact.flips]
        doc["达标率变化"] = impact.rates
    return json.dumps(doc, ensure_ascii=False, indent=1)
