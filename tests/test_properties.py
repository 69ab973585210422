"""Property tests: whatever text arrives, parse → layer → check → compile raises only
JunhengError subclasses (never a Lark, Python or numpy exception), and every diagnostic
renders.

Inputs are random text (CJK, full-width forms, emoji, zero-width and control characters,
BOM, CRLF, keywords) and random mutations of the shipped national rule files (deleting,
duplicating and swapping slices, inserting keywords and odd characters).
"""

from __future__ import annotations

from pathlib import Path

from hardening.harness import check_diagnostics
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.interpreter.check import check
from engine.interpreter.compile import compile_plan
from engine.interpreter.errors import JunhengError
from engine.interpreter.layer import group_layers, layer
from engine.interpreter.parse import keyword_table, parse_text

NATIONAL_DIR = Path(__file__).resolve().parent.parent / "rules" / "national"
NATIONAL = {p.name: p.read_text(encoding="utf-8") for p in sorted(NATIONAL_DIR.glob("*.rule"))}
NAMES = list(NATIONAL)
KEYWORDS = sorted(set(keyword_table().values()))

SETTINGS = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ODD = ["\ufeff", "\u200b", "\u200d", "\u2060", "\x00", "\x07", "\x1b", "\x7f", "\r\n", "\r", "\t", "\u3000",
       "😀", "👨‍👩‍👧", "（", "）", "：", "，", "；", "“", "”", "＝", "％", "．", "０", "９", "Ａ", "〔", "〕",
       "、", "…", "—", "#", "@", "$", '"', "(", ")", ",", ":", "=", "+", "-", "×", "÷", "*", "/", "%", "≥", "≤",
       "≠", "!=", "<", ">", "\n", " ", "1", "0.5", "85%", "2万", "1,000", "2017-02-30", "2020年1月1日", "\ud7ff"]

# characters the rule language uses, plus a spread of Unicode
CHAR = st.one_of(
    st.sampled_from(list("规则集国家参数字段学部校县区小初高中计算要求达标所有任一至少项其余的若则否为是属于非且或"
                         "以上下内不低超过足满值自单位依据说明人㎡元间班abcXYZ_019")),
    st.sampled_from(ODD),
    st.characters(codec="utf-8"),
)


def text_of(max_size: int) -> st.SearchStrategy[str]:
    """Strings made of CHAR pieces (some pieces are several characters long, e.g. CRLF)."""
    return st.lists(CHAR, max_size=max_size).map("".join)


PIECE = st.one_of(st.sampled_from(KEYWORDS), st.sampled_from(ODD), text_of(6),
                  st.sampled_from(["R1", "学生数", "高学历教师标准", "差异系数(学部: R1, 权重 学生数)", "至少6项",
                                   "高于规定学历教师数", "超过45人班数"]))


def run_pipeline(texts: dict[str, str]) -> None:
    """Parse every text, then layer and check every rule set found; only JunhengError may escape."""
    try:
        files = [parse_text(text, path) for path, text in texts.items()]
        groups = group_layers(files)
        for name in groups:
            compile_plan(check(layer(groups, name)))
    except JunhengError as exc:
        check_diagnostics(exc, texts)


@SETTINGS
@given(text_of(200))
def test_random_text_raises_only_junheng_errors(text: str) -> None:
    run_pipeline({"随机.rule": text})


@SETTINGS
@given(st.lists(PIECE, max_size=40), st.sampled_from([" ", "\n", "", "\r\n", "\u3000", "\t"]),
       st.booleans())
def test_random_keyword_soup_raises_only_junheng_errors(pieces: list[str], sep: str, header: bool) -> None:
    text = ("规则集 国家\n" if header else "") + sep.join(pieces)
    run_pipeline({"随机.rule": text})


def mutate(data: st.DataObject, text: str) -> str:
    steps = data.draw(st.integers(min_value=1, max_value=4), label="steps")
    for _ in range(steps):
        n = len(text)
        op = data.draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace_char"]), label="op")
        i = data.draw(st.integers(0, n), label="i")
        j = data.draw(st.integers(i, min(n, i + 80)), label="j")
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "swap":
            k = data.draw(st.integers(j, n), label="k")
            m = data.draw(st.integers(k, min(n, k + 80)), label="m")
            text = text[:i] + text[k:m] + text[j:k] + text[i:j] + text[m:]
        elif op == "insert":
            piece = data.draw(PIECE, label="piece")
            pad = data.draw(st.sampled_from(["", " "]), label="pad")
            text = text[:i] + pad + piece + pad + text[i:]
        else:
            ch = data.draw(st.sampled_from(ODD), label="char")
            text = text[:i] + ch + text[i + 1:]
    return text


@SETTINGS
@given(st.data())
def test_mutated_national_file_raises_only_junheng_errors(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(NAMES), label="file")
    texts = dict(NATIONAL)
    texts[name] = mutate(data, NATIONAL[name])
    run_pipeline(texts)


@SETTINGS
@given(st.data())
def test_mutated_province_layer_raises_only_junheng_errors(data: st.DataObject) -> None:
    province = ('规则集 某省 "某省实施细则" 继承 国家 文号 "某教督〔2020〕1号"\n'
                '修改 参数 高学历教师标准 = 小学 4.5\n'
                '修改 学部指标 R1 要求 达到 高学历教师标准 以上\n'
                '新增 县指标 P1 "新增" 计算 合计(学校: 小学生数) 单位 人 要求 ≥ 0\n'
                '删除 县指标 G6 理由 "本省不适用"\n'
                '修改 参数 差异系数上限 值 小学 0.45 自 2026-09-01\n')
    texts = dict(NATIONAL)
    texts["某省.rule"] = mutate(data, province)
    run_pipeline(texts)


def test_the_unmutated_files_compile() -> None:
    run_pipeline(dict(NATIONAL))
    files = [parse_text(t, p) for p, t in NATIONAL.items()]
    compile_plan(check(layer(group_layers(files), "国家")))
