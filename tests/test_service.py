"""The HTTP service: every endpoint, every error path, the limits, reload, concurrency, OpenAPI fuzzing."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import threading
import time
import warnings
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.facts import load_facts
from engine.interpreter import evaluate, field_specs, load_rules
from engine.render.rows import result_rows

pytest.importorskip("fastapi", reason="服务依赖未安装:pip install fastapi uvicorn python-multipart httpx")
pytest.importorskip("multipart", reason="服务依赖未安装:python-multipart")
with warnings.catch_warnings():  # starlette asks for httpx2; httpx works the same for these tests
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from engine.service import Limits, create_app, remedies
from engine.service import operations as ops

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "示例县"
DAY = "2026-01-01"
ENVELOPE = ("规则集", "内容哈希", "评估日期")


def records(name: str) -> list[dict[str, str]]:
    with open(SAMPLE / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


SCHOOLS = records("学校表.csv")
COUNTIES = records("县区表.csv")


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)


def body(**extra: Any) -> dict[str, Any]:
    return {"schools": SCHOOLS, "counties": COUNTIES, "as_of": DAY, **extra}


def xlsx_files(schools: str = "学校表.xlsx", counties: str | None = "县区表.xlsx") -> dict[str, Any]:
    files: dict[str, Any] = {"schools": (schools, (SAMPLE / "学校表.xlsx").read_bytes())}
    if counties is not None:
        files["counties"] = (counties, (SAMPLE / "县区表.xlsx").read_bytes())
    return files


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert an error response: status, JSON shape, code, a Chinese message; return the document."""
    assert response.status_code == status, response.text
    doc = response.json()
    assert all(k in doc for k in ENVELOPE)
    assert doc["错误"]["代码"] == code, doc
    assert any("\u4e00" <= ch <= "\u9fff" for ch in doc["错误"]["消息"])
    return doc


def ok(response: Any, ruleset: str | None = "国家") -> dict[str, Any]:
    assert response.status_code == 200, response.text
    doc = response.json()
    assert all(k in doc for k in ENVELOPE)
    if ruleset is not None:
        assert doc["规则集"] == ruleset
        assert len(doc["内容哈希"]) == 64
    return doc


def expected_rows(name: str = "国家") -> list[dict[str, Any]]:
    rules = load_rules(name)
    facts = load_facts(SAMPLE / "学校表.csv", SAMPLE / "县区表.csv", field_specs(rules))
    return list(result_rows(evaluate(rules, facts, date(2026, 1, 1))))


# ---------------------------------------------------------------- rule sets


def test_rulesets_listed_with_layers_docno_and_hash(client: TestClient) -> None:
    doc = client.get("/v1/rulesets").json()
    sets = {s["名称"]: s for s in doc["规则集列表"]}
    assert {"国家", "河北", "辽宁", "沈阳"} <= set(sets)
    assert sets["国家"]["文号"] == "教督〔2017〕6号"
    assert [layer["名称"] for layer in sets["沈阳"]["层"]] == ["国家", "辽宁", "沈阳"]
    assert all(f.startswith("rules/") for f in sets["国家"]["层"][0]["文件"])
    assert len({s["内容哈希"] for s in sets.values()}) == len(sets)
    assert doc["默认规则集"] == "国家" and doc["整改"] is remedies.available()


def test_content_hash_is_sha256_over_the_chain_files(client: TestClient) -> None:
    doc = ok(client.get("/v1/rulesets/河北"), "河北")
    h = hashlib.sha256()
    paths = sorted(f for layer in doc["层"] for f in layer["文件"])
    for shown in paths:
        data = (REPO / shown).read_bytes()
        h.update(shown.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    assert doc["内容哈希"] == h.hexdigest()


@pytest.mark.parametrize("name", ["../国家", "国家/..", "a\\b", ".hidden", "国\x00家", "/etc"])
def test_rule_set_names_that_look_like_paths_are_refused(client: TestClient, name: str) -> None:
    doc = error(client.post("/v1/evaluate", json=body(ruleset=name)), 400, "E711")
    assert doc["错误"]["位置"] == {"参数": "ruleset"}


def test_rule_set_name_too_long(client: TestClient) -> None:
    error(client.post("/v1/evaluate", json=body(ruleset="x" * 65)), 422, "E703")


def test_unknown_rule_set(client: TestClient) -> None:
    doc = error(client.get("/v1/rulesets/河北省"), 404, "E502")
    assert "国家" in doc["错误"]["提示"]
    error(client.post("/v1/evaluate", json=body(ruleset="火星")), 404, "E502")


# ---------------------------------------------------------------- evaluate


def test_evaluate_json_matches_the_engine(client: TestClient) -> None:
    doc = ok(client.post("/v1/evaluate", json=body()))
    assert doc["评估日期"] == DAY and doc["文号"] == "教督〔2017〕6号"
    assert doc["结果"] == expected_rows()
    county = doc["县区结论"][0]
    assert county["县区"] == "示例县" and county["结论"] == "未达标"
    assert {p["编号"]: p["结论"] for p in county["分项"]}["社会认可度结论"] == "达标"
    school = next(s for s in doc["学校"] if s["学校名称"] == "示例县东关镇中学")
    assert school["状态"] == "有未达标项" and "R5(初中)" in school["未达标项目"]
    assert doc["警告"][0]["代码"] == "W452" and doc["警告"][0]["位置"] == {"JSON路径": "$.counties"}


def test_evaluate_accepts_chinese_keys_and_defaults_to_today(client: TestClient) -> None:
    doc = ok(client.post("/v1/evaluate", json={"规则集": "河北", "学校表": SCHOOLS, "县区表": COUNTIES}), "河北")
    assert doc["评估日期"] == date.today().isoformat()


def test_evaluate_xlsx_download_carries_provenance(client: TestClient) -> None:
    from openpyxl import load_workbook

    r = client.post("/v1/evaluate", json=body(format="xlsx"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    assert r.headers["x-junheng-date"] == DAY and r.headers["x-junheng-ruleset"] == "%E5%9B%BD%E5%AE%B6"
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["县区", "学校", "学部", "说明"]
    info = {row[0]: row[1] for row in wb["说明"].iter_rows(values_only=True)}
    assert info["内容哈希(SHA-256)"] == r.headers["x-junheng-digest"] and info["评估日期"] == DAY


def test_evaluate_upload_two_workbooks(client: TestClient) -> None:
    doc = ok(client.post("/v1/evaluate/upload", files=xlsx_files(), data={"as_of": DAY}))
    assert doc["结果"] == expected_rows()


def test_evaluate_upload_one_workbook_with_two_sheets(client: TestClient) -> None:
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name in ("学校表", "县区表"):
        src = load_workbook(SAMPLE / f"{name}.xlsx").active
        ws = wb.create_sheet(name)
        for row in src.iter_rows(values_only=True):  # type: ignore[union-attr]
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    doc = ok(client.post("/v1/evaluate/upload", files={"schools": ("县里的数据.xlsx", buf.getvalue())},
                         data={"as_of": DAY}))
    assert doc["结果"] == expected_rows()


def test_evaluate_upload_csv_sniffed_by_content_not_name(client: TestClient) -> None:
    files = {"schools": ("../../etc/passwd.xlsx", (SAMPLE / "学校表.csv").read_bytes()),
             "counties": ("县区表.json", (SAMPLE / "县区表.csv").read_bytes())}
    doc = ok(client.post("/v1/evaluate/upload", files=files, data={"as_of": DAY, "ruleset": "国家"}))
    assert doc["结果"] == expected_rows()
    assert doc["警告"][0]["位置"]["文件"] == "县区表.json"


def test_evaluate_upload_xlsx_download(client: TestClient) -> None:
    r = client.post("/v1/evaluate/upload", files=xlsx_files(), data={"format": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK"


# ---------------------------------------------------------------- facts errors


def test_bad_json_value_is_located_by_json_path(client: TestClient) -> None:
    schools = [dict(s) for s in SCHOOLS]
    schools[3]["小学生数"] = "很多"
    doc = error(client.post("/v1/evaluate", json=body(schools=schools)), 422, "E402")
    assert doc["错误"]["位置"] == {"JSON路径": "$.schools[3].小学生数"}
    assert "第 4 条记录" in doc["错误"]["消息"]


def test_missing_columns_in_json(client: TestClient) -> None:
    doc = error(client.post("/v1/evaluate", json=body(schools=[{"学校名称": "甲"}])), 422, "E401")
    assert "学校标识码" in doc["错误"]["消息"]
    assert doc["规则集"] == "国家" and doc["评估日期"] == DAY


def test_bad_xlsx_value_is_located_by_sheet_row_column(client: TestClient) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(SAMPLE / "学校表.xlsx")
    ws = wb["学校表"]
    header = [c.value for c in ws[1]]
    ws.cell(row=5, column=header.index("初中生数") + 1, value="九百")
    buf = io.BytesIO()
    wb.save(buf)
    files = xlsx_files()
    files["schools"] = ("/tmp/我的学校表.xlsx", buf.getvalue())
    doc = error(client.post("/v1/evaluate/upload", files=files), 422, "E402")
    assert doc["错误"]["位置"] == {"文件": "我的学校表.xlsx", "工作表": "学校表", "行": 5, "列名": "初中生数"}
    assert "/tmp" not in doc["错误"]["消息"] and "junheng-upload" not in str(doc)


def test_old_xls_is_refused_with_advice(client: TestClient) -> None:
    files = {"schools": ("学校表.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)}
    doc = error(client.post("/v1/evaluate/upload", files=files), 415, "E704")
    assert "另存为" in doc["错误"]["提示"]


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_that_is_not_a_workbook_is_refused(client: TestClient) -> None:
    error(client.post("/v1/evaluate/upload", files={"schools": ("a.xlsx", _zip({"a.txt": b"x"}))}), 415, "E704")
    error(client.post("/v1/evaluate/upload", files={"schools": ("a.xlsx", b"PK\x03\x04broken")}), 415, "E704")


def test_damaged_workbook_reports_facts_error(client: TestClient) -> None:
    data = _zip({"xl/workbook.xml": b"<not a workbook"})
    doc = error(client.post("/v1/evaluate/upload", files={"schools": ("a.xlsx", data)}), 422, "E406")
    assert doc["错误"]["位置"]["文件"] == "a.xlsx"


def test_undecodable_csv(client: TestClient) -> None:
    files = {"schools": ("a.csv", bytes(range(128, 256)) * 4)}
    assert client.post("/v1/evaluate/upload", files=files).status_code == 422


# ---------------------------------------------------------------- request validation


@pytest.mark.parametrize(("payload", "path"), [
    ({"counties": COUNTIES}, "$.schools"),
    ({"schools": "全部"}, "$.schools"),
    ({"schools": []}, "$.schools"),
    ({"schools": SCHOOLS, "as_of": "去年"}, "$.as_of"),
    ({"schools": SCHOOLS, "format": "pdf"}, "$.format"),
    ({"schools": SCHOOLS, "unknown": 1}, "$.unknown"),
    ({"schools": [1, 2]}, "$.schools[0]"),
])
def test_invalid_requests_name_the_json_path(client: TestClient, payload: dict[str, Any], path: str) -> None:
    doc = error(client.post("/v1/evaluate", json=payload), 422, "E703")
    assert doc["错误"]["位置"] == {"JSON路径": path}


def test_malformed_json(client: TestClient) -> None:
    r = client.post("/v1/evaluate", content=b"{\"schools\": [", headers={"content-type": "application/json"})
    doc = error(r, 422, "E703")
    assert "JSON" in doc["错误"]["消息"]


def test_invalid_form_fields(client: TestClient) -> None:
    doc = error(client.post("/v1/evaluate/upload", data={"ruleset": "国家"}), 422, "E703")
    assert doc["错误"]["位置"] == {"参数": "表单字段 schools"}
    error(client.post("/v1/explain/upload", files=xlsx_files(), data={"stage": "高中"}), 422, "E703")


def test_unknown_route_and_method(client: TestClient) -> None:
    error(client.get("/v1/nothing"), 404, "E707")
    error(client.get("/v1/evaluate"), 405, "E708")


# ---------------------------------------------------------------- explain


def test_explain_a_failing_school(client: TestClient) -> None:
    doc = ok(client.post("/v1/explain", json=body(school="示例县东关镇中学")))
    assert doc["对象"] == "示例县东关镇中学"
    first = doc["解释"][0]
    assert first["编号"] == "资源配置达标" and first["结论"] == "未达标"
    assert "R5 生均体育运动场馆面积" in first["文本"] and "7,020 ㎡ ÷ 900 人 = 7.80 ㎡/人" in first["文本"]
    assert "差 2.40 ㎡/人,为要求的 76.5%(低于 85%)" in first["文本"]
    assert {r["学校标识码"] for r in doc["结果"]} == {"2136020011"}


def test_explain_by_id_indicator_and_stage(client: TestClient) -> None:
    doc = ok(client.post("/v1/explain", json=body(school="2136030001", indicator="R4", stage="初中")))
    assert [b["对象"] for b in doc["解释"]] == ["示例县城南学校 · 初中部"]


def test_explain_a_county(client: TestClient) -> None:
    doc = ok(client.post("/v1/explain", json=body(county="示例县")))
    assert doc["解释"][0]["编号"] == "优质均衡"
    doc = ok(client.post("/v1/explain", json=body(county="示例县", indicator="G11交流比例")))
    assert "9.50%" in doc["解释"][0]["文本"] or "9.5%" in doc["解释"][0]["文本"]
    doc = ok(client.post("/v1/explain", json=body(county="示例县", indicator="R5差异系数", stage="初中")))
    assert len(doc["解释"]) == 1


def test_explain_upload_gives_the_same_text(client: TestClient) -> None:
    a = ok(client.post("/v1/explain", json=body(school="示例县东关镇中学")))
    b = ok(client.post("/v1/explain/upload", files=xlsx_files(), data={"school": "示例县东关镇中学", "as_of": DAY}))
    assert a["解释"] == b["解释"]


@pytest.mark.parametrize(("extra", "status", "code"), [
    ({}, 422, "E507"),
    ({"school": "示例县东关镇中学", "county": "示例县"}, 422, "E507"),
    ({"school": "第九十九小学"}, 404, "E503"),
    ({"county": "别的县"}, 404, "E503"),
    ({"school": "示例县东关镇中学", "indicator": "R55"}, 404, "E504"),
    ({"school": "示例县东关镇中学", "indicator": "G11交流比例"}, 422, "E505"),
    ({"county": "示例县", "indicator": "R4"}, 422, "E505"),
])
def test_explain_errors(client: TestClient, extra: dict[str, Any], status: int, code: str) -> None:
    doc = error(client.post("/v1/explain", json=body(**extra)), status, code)
    assert doc["规则集"] == "国家" and doc["评估日期"] == DAY


# ---------------------------------------------------------------- remedies


needs_remedies = pytest.mark.skipif(not remedies.available(), reason="整改模块(engine/interpreter/remedy.py)不存在")


@needs_remedies
def test_remedies_for_a_school(client: TestClient) -> None:
    doc = ok(client.post("/v1/remedies", json=body(school="示例县东关镇中学")))
    assert doc["对象"] == "示例县东关镇中学"
    r5 = next(r for r in doc["整改"] if r["指标"].startswith("R5 "))
    assert r5["学段"] == "初中" and r5["现值"] == "7.80 ㎡/人" and "增加体育运动场馆面积" in r5["整改建议"]
    assert all(r["学校"] == "示例县东关镇中学" for r in doc["整改"])
    up = ok(client.post("/v1/remedies/upload", files=xlsx_files(),
                        data={"school": "2136020011", "as_of": DAY, "indicator": "R5"}))
    assert [r["指标"] for r in up["整改"]] == [r5["指标"]]


@needs_remedies
def test_remedies_for_a_county_and_everything(client: TestClient) -> None:
    county = ok(client.post("/v1/remedies", json=body(county="示例县")))
    assert county["整改"] and all(r["学校"] == "(全县)" for r in county["整改"])
    everything = ok(client.post("/v1/remedies", json=body()))
    assert len(everything["整改"]) > len(county["整改"]) and everything["对象"] is None
    error(client.post("/v1/remedies", json=body(school="不存在的学校")), 404, "E503")
    error(client.post("/v1/remedies", json=body(county="别的县")), 404, "E503")
    error(client.post("/v1/remedies", json=body(indicator="R99")), 404, "E504")


@needs_remedies
def test_ledger_download(client: TestClient) -> None:
    from openpyxl import load_workbook

    for r in (client.post("/v1/remedies", json=body(format="xlsx")),
              client.post("/v1/remedies/upload", files=xlsx_files(), data={"format": "xlsx", "as_of": DAY})):
        assert r.status_code == 200 and r.headers["x-junheng-date"] == DAY
        wb = load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames[-1] == "说明" and len(wb.sheetnames) >= 2


def test_remedies_answer_501_where_the_stage_is_missing(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "engine.render.ledger", None)  # importing it now raises ImportError
    for r in (client.post("/v1/remedies", json=body(school="示例县东关镇中学")),
              client.post("/v1/remedies", json=body(format="xlsx")),
              client.post("/v1/remedies/upload", files=xlsx_files(), data={"format": "xlsx"})):
        doc = error(r, 501, "E709")
        assert doc["规则集"] == "国家" and len(doc["内容哈希"]) == 64


# ---------------------------------------------------------------- diff


def test_diff_rules_only(client: TestClient) -> None:
    doc = ok(client.post("/v1/diff", json={"a": "国家", "b": "河北", "as_of": DAY}), "河北")
    assert doc["规则集A"] == "国家" and doc["规则集B"] == "河北" and doc["差异"]
    assert "翻转" not in doc and doc["内容哈希B"] == doc["内容哈希"] != doc["内容哈希A"]


def test_diff_with_facts_lists_flips(client: TestClient) -> None:
    doc = ok(client.post("/v1/diff", json={"a": "国家", "b": "辽宁", "schools": SCHOOLS, "counties": COUNTIES,
                                            "as_of": DAY}), "辽宁")
    assert [f["编号"] for f in doc["翻转"]] == ["G6"]
    up = ok(client.post("/v1/diff/upload", files=xlsx_files(), data={"a": "国家", "b": "辽宁", "as_of": DAY}), "辽宁")
    assert up["翻转"] == doc["翻转"]


def test_diff_errors(client: TestClient) -> None:
    doc = error(client.post("/v1/diff", json={"a": "国家", "b": "火星"}), 404, "E502")
    assert doc["错误"]["位置"] == {"参数": "b"}
    error(client.post("/v1/diff", json={"a": "../x", "b": "国家"}), 400, "E711")
    error(client.post("/v1/diff", json={"a": "国家"}), 422, "E703")


# ---------------------------------------------------------------- check


PROVINCE = """规则集 试验省 "试验省实施细则"
  继承 国家
  文号 "试教督〔2026〕1号"

修改 参数 高学历教师标准 = 小学 4.5, 初中 5.5
  依据 "试验省实施细则 第一条"
"""


def test_check_a_province_text(client: TestClient) -> None:
    doc = ok(client.post("/v1/check", json={"text": PROVINCE, "as_of": DAY}), "试验省")
    assert doc["通过"] is True and doc["检查的规则集"] == ["试验省"]
    assert doc["评估日期"] == DAY


def test_check_reports_syntax_errors_with_location(client: TestClient) -> None:
    doc = ok(client.post("/v1/check", json={"text": "规则集 试验省 继承 国家\n修改 参数 = 1\n", "filename": "试验.rule"}),
             None)
    assert doc["通过"] is False
    d = doc["诊断"][0]
    assert d["代码"].startswith("E1") and d["位置"]["文件"] == "试验.rule" and d["位置"]["行"] == 2


def test_check_reports_layering_errors(client: TestClient) -> None:
    doc = ok(client.post("/v1/check", json={"text": "规则集 试验省 继承 火星\n"}), "试验省")
    assert doc["通过"] is False and doc["诊断"][0]["代码"] == "E304"
    doc = ok(client.post("/v1/check", json={"text": "规则集 试验省 继承 国家\n修改 参数 不存在的参数 = 1\n"}), "试验省")
    assert doc["通过"] is False and doc["诊断"][0]["代码"].startswith("E3")
    doc = ok(client.post("/v1/check", json={"text": "参数 甲 = 1\n"}), None)
    assert doc["通过"] is False and doc["诊断"][0]["代码"] == "E310"


def test_check_replacing_a_file_with_itself_reproduces_the_hash(client: TestClient) -> None:
    listing = {s["名称"]: s for s in client.get("/v1/rulesets").json()["规则集列表"]}
    path = listing["河北"]["层"][1]["文件"][0]
    text = (REPO / path).read_text(encoding="utf-8")
    doc = ok(client.post("/v1/check", json={"text": text, "replaces": path}), "河北")
    assert doc["通过"] is True and doc["内容哈希"] == listing["河北"]["内容哈希"]


def test_check_a_national_change_checks_every_province(client: TestClient) -> None:
    path = "rules/national/1-资源配置.rule"
    text = (REPO / path).read_text(encoding="utf-8").replace("参数 高学历教师标准", "参数 高学历教师标准甲", 1)
    doc = ok(client.post("/v1/check", json={"text": text, "replaces": path}), "国家")
    assert doc["通过"] is False and {"国家", "河北", "沈阳"} <= set(doc["检查的规则集"])


def test_check_unknown_replaced_file(client: TestClient) -> None:
    error(client.post("/v1/check", json={"text": PROVINCE, "replaces": "/etc/passwd"}), 404, "E712")


# ---------------------------------------------------------------- reload


def test_reload_swaps_rules_and_keeps_old_ones_when_broken(tmp_path: Path) -> None:
    rules = tmp_path / "规则"
    shutil.copytree(REPO / "rules", rules)
    c = TestClient(create_app(rules), raise_server_exceptions=False)
    before = c.get("/v1/rulesets/国家").json()["内容哈希"]
    national = rules / "national" / "1-资源配置.rule"
    national.write_text(national.read_text(encoding="utf-8") + "\n# 改动\n", encoding="utf-8")
    doc = c.post("/v1/reload").json()
    assert doc["已重新加载"] is True
    after = c.get("/v1/rulesets/国家").json()["内容哈希"]
    assert after != before
    national.write_text("规则集 国家\n参数 = \n", encoding="utf-8")
    doc = error(c.post("/v1/reload"), 409, "E710")
    assert doc["诊断"] and doc["诊断"][0]["位置"]["文件"] == "规则/national/1-资源配置.rule"
    assert c.get("/v1/rulesets/国家").json()["内容哈希"] == after
    ok(c.post("/v1/evaluate", json=body()))


def test_broken_rules_at_start_up_raise() -> None:
    from engine.interpreter.errors import RuleError

    with pytest.raises(RuleError):
        create_app(REPO / "tests")  # no rule files there


# ---------------------------------------------------------------- limits


def test_request_too_large_by_content_length() -> None:
    c = TestClient(create_app(limits=Limits(max_request_bytes=1000)), raise_server_exceptions=False)
    doc = error(c.post("/v1/evaluate", json=body()), 413, "E701")
    assert "不能超过" in doc["错误"]["消息"]


def test_request_too_large_while_streaming() -> None:
    c = TestClient(create_app(limits=Limits(max_request_bytes=1000)), raise_server_exceptions=False)

    def chunks():  # no Content-Length: the limit is enforced as the body arrives
        yield b'{"schools": ['
        for _ in range(100):
            yield b'{"a": "' + b"x" * 100 + b'"},'
        yield b"{}]}"

    r = c.post("/v1/evaluate", content=chunks(), headers={"content-type": "application/json"})
    error(r, 413, "E701")


def test_upload_too_large_and_zip_bomb() -> None:
    c = TestClient(create_app(limits=Limits(max_upload_bytes=8_000)), raise_server_exceptions=False)
    doc = error(c.post("/v1/evaluate/upload", files=xlsx_files()), 413, "E701")
    assert "上传的文件太大" in doc["错误"]["消息"]
    c = TestClient(create_app(limits=Limits(max_upload_bytes=20_000, max_unzipped_bytes=30_000)),
                   raise_server_exceptions=False)
    bomb = _zip({"xl/workbook.xml": b"<x/>", "xl/big.xml": b"0" * 1_000_000})
    assert len(bomb) < 20_000
    doc = error(c.post("/v1/evaluate/upload", files={"schools": ("a.xlsx", bomb)}), 413, "E701")
    assert "解压后" in doc["错误"]["消息"]


def test_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    c = TestClient(create_app(limits=Limits(timeout_seconds=0.2)), raise_server_exceptions=False)
    monkeypatch.setattr(ops, "evaluate_doc", lambda *a: time.sleep(1.0))
    started = time.perf_counter()
    doc = error(c.post("/v1/evaluate", json=body()), 504, "E702")
    assert time.perf_counter() - started < 0.9
    assert doc["规则集"] == "国家"


def test_busy_when_all_workers_and_the_queue_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    c = TestClient(create_app(limits=Limits(workers=1, max_waiting=0)), raise_server_exceptions=False)
    gate = threading.Event()
    monkeypatch.setattr(ops, "evaluate_doc", lambda *a: gate.wait(5) and {"完成": True})
    first: dict[str, Any] = {}
    t = threading.Thread(target=lambda: first.update(r=c.post("/v1/evaluate", json=body())))
    t.start()
    time.sleep(0.3)
    error(c.post("/v1/evaluate", json=body()), 503, "E706")
    gate.set()
    t.join()
    assert first["r"].status_code == 200


def test_internal_errors_are_json_in_chinese(monkeypatch: pytest.MonkeyPatch, client: TestClient) -> None:
    def boom(*_a: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(ops, "evaluate_doc", boom)
    doc = error(client.post("/v1/evaluate", json=body()), 500, "E700")
    assert "bug" not in str(doc)


# ---------------------------------------------------------------- concurrency


def test_concurrent_evaluations_and_reloads_are_consistent(client: TestClient) -> None:
    names = ["国家", "河北", "辽宁", "沈阳"]
    expected = {n: client.post("/v1/evaluate", json=body(ruleset=n)).json() for n in names}
    errors: list[str] = []

    def worker(i: int) -> None:
        name = names[i % len(names)]
        for _ in range(3):
            doc = client.post("/v1/evaluate", json=body(ruleset=name)).json()
            if doc != expected[name]:
                errors.append(name)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    assert client.post("/v1/reload").status_code == 200
    for t in threads:
        t.join()
    assert not errors


# ---------------------------------------------------------------- the page, OpenAPI, serve


def test_web_page_and_static_files(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "均衡" in r.text and "学校表" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    for p in ["/v1/rulesets", "/v1/rulesets/{name}", "/v1/reload", "/v1/evaluate", "/v1/evaluate/upload",
              "/v1/explain", "/v1/explain/upload", "/v1/remedies", "/v1/remedies/upload", "/v1/diff",
              "/v1/diff/upload", "/v1/check", "/v1/health"]:
        assert p in paths
    assert client.get("/docs").status_code == 200


def test_serve_command_runs_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from click.testing import CliRunner

    from cli.serve_cmd import serve_cmd

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    result = CliRunner().invoke(serve_cmd, ["--port", "8123", "--timeout", "5", "--max-upload-mb", "3"])
    assert result.exit_code == 0, result.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123
    limits = seen["app"].state.services.limits
    assert limits.timeout_seconds == 5 and limits.max_upload_bytes == 3 * 1024 * 1024


# ---------------------------------------------------------------- schemathesis: no 500 anywhere


def test_openapi_fuzzing_finds_no_server_error() -> None:
    """Generated requests for every operation of the OpenAPI schema: none may answer 500."""
    schemathesis = pytest.importorskip("schemathesis", reason="未安装 schemathesis")
    from hypothesis import HealthCheck, Phase, given, settings

    app = create_app(limits=Limits(timeout_seconds=10))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    def fuzz(operation: Any) -> None:
        @given(operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            response = case.call()
            if response.status_code >= 500 and response.status_code not in (501, 503, 504):
                failures.append(f"{operation.method.upper()} {operation.path}: {response.status_code} {response.text[:200]}")

        run()

    for result in schema.get_all_operations():
        fuzz(result.ok())
    assert not failures, "\n".join(failures[:10])
