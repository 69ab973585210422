"""The language server driven over stdio as an editor would: JSON-RPC with Content-Length framing."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

pytest.importorskip("pygls", reason="语言服务器需要 pygls(pip install pygls)")

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 20.0


class Client:
    """A minimal LSP client: sends requests and notifications, collects what the server sends back."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from engine.editor.lsp import serve_stdio; serve_stdio()"],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.next_id = 0
        assert self.proc.stdout is not None
        self.reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self.reader.start()

    def _read(self, out: IO[bytes]) -> None:
        try:
            while True:
                headers: dict[str, str] = {}
                while True:
                    line = out.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    key, _, value = line.decode("ascii").partition(":")
                    headers[key.strip().lower()] = value.strip()
                body = out.read(int(headers["content-length"]))
                self.inbox.put(json.loads(body.decode("utf-8")))
        finally:
            self.inbox.put(None)

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}, ensure_ascii=False).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def _next(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("语言服务器没有在限定时间内回应")
        try:
            msg = self.inbox.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError("语言服务器没有在限定时间内回应") from None
        if msg is None:
            raise EOFError("语言服务器已退出")
        if "method" in msg and "id" in msg:  # a request from the server: answer it
            self.send({"id": msg["id"], "result": None})
        elif "method" in msg:
            self.notifications.append(msg)
        return msg

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        rid = self.next_id
        self.send({"id": rid, "method": method, "params": params})
        deadline = time.monotonic() + TIMEOUT
        while True:
            msg = self._next(deadline)
            if msg.get("id") == rid and "method" not in msg:
                assert "error" not in msg, msg["error"]
                return msg.get("result")

    def wait_for(self, method: str, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        for msg in self.notifications:
            if msg["method"] == method and pred(msg["params"]):
                self.notifications.remove(msg)
                return msg["params"]  # type: ignore[no-any-return]
        deadline = time.monotonic() + TIMEOUT
        while True:
            msg = self._next(deadline)
            if msg.get("method") == method and "id" not in msg and pred(msg["params"]):
                self.notifications.remove(msg)
                return msg["params"]  # type: ignore[no-any-return]

    def diagnostics(self, uri: str, version: int) -> list[dict[str, Any]]:
        params = self.wait_for("textDocument/publishDiagnostics",
                               lambda p: p["uri"] == uri and p.get("version") == version)
        return params["diagnostics"]  # type: ignore[no-any-return]

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen",
                    {"textDocument": {"uri": uri, "languageId": "junheng", "version": version, "text": text}})
        return uri

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.request("shutdown", None)
                self.notify("exit", None)
                self.proc.wait(timeout=5)
        except Exception:
            pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=5)
            self.reader.join(timeout=5)
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    try:
                        pipe.close()
                    except OSError:
                        pass


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the rule packs, so test files never touch the repository."""
    root = tmp_path_factory.mktemp("lsp") / "rules"
    shutil.copytree(REPO / "rules", root)
    (root / "provinces" / "测试省").mkdir()
    return root


@pytest.fixture(scope="module")
def client(rules: Path) -> Iterator[Client]:
    """One server for the module; every test opens its own file."""
    c = Client()
    try:
        result = c.request("initialize", {"processId": None, "rootUri": rules.parent.as_uri(), "capabilities": {}})
        assert result["capabilities"]["hoverProvider"]
        c.notify("initialized", {})
        yield c
    finally:
        c.close()


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_unknown_name_in_modify_is_E301_at_the_statement(client: Client, rules: Path) -> None:
    path = rules / "provinces" / "测试省" / "a.rule"
    uri = client.open(path, "规则集 测试省 继承 国家\n修改 参数 高学历教师标隼 = 小学 4.5\n")
    diags = client.diagnostics(uri, 1)
    assert [d["code"] for d in diags] == ["E301"]
    d = diags[0]
    assert d["range"]["start"] == {"line": 1, "character": 0}
    assert d["severity"] == 1 and d["source"] == "junheng"
    assert "高学历教师标隼" in d["message"] and "高学历教师标准" in d["message"]  # message + did-you-mean hint

    # fixing the name clears the diagnostics
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"text": "规则集 测试省 继承 国家\n修改 参数 高学历教师标准 = 小学 4.5\n"}]})
    assert client.diagnostics(uri, 2) == []


def test_syntax_error_range_counts_utf16_units(client: Client, rules: Path) -> None:
    path = rules / "provinces" / "测试省" / "b.rule"
    line = '新增 参数 𠀋标准 "𠀋" = 小学 4.5 @'  # 𠀋 is outside the BMP: 2 UTF-16 units
    uri = client.open(path, f"规则集 测试省 继承 国家\n{line}\n")
    diags = client.diagnostics(uri, 1)
    assert [d["code"] for d in diags] == ["E102"]
    at = line.index("@")
    assert diags[0]["range"] == {"start": {"line": 1, "character": utf16(line[:at])},
                                 "end": {"line": 1, "character": utf16(line[:at + 1])}}
    assert utf16(line[:at]) == at + 2


def test_related_information_points_at_the_inherited_definition(client: Client, rules: Path) -> None:
    path = rules / "provinces" / "测试省" / "c.rule"
    uri = client.open(path, '规则集 测试省 继承 国家\n参数 高学历教师标准 = 小学 5 单位 人/百名学生\n')
    diags = client.diagnostics(uri, 1)
    assert [d["code"] for d in diags] == ["E309"]
    related = diags[0]["relatedInformation"][0]["location"]
    assert related["uri"] == (rules / "national" / "1-资源配置.rule").as_uri()
    assert related["range"]["start"]["line"] == _national_line(rules, "参数 高学历教师标准")


def _national_line(rules: Path, prefix: str) -> int:
    lines = (rules / "national" / "1-资源配置.rule").read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines) if text.startswith(prefix))


def test_hover_shows_value_and_provenance_and_definition_jumps_to_national(client: Client, rules: Path) -> None:
    path = rules / "provinces" / "测试省" / "d.rule"
    text = '规则集 测试省 继承 国家 文号 "测试〔2024〕1号"\n修改 参数 高学历教师标准 = 小学 4.5 依据 "测试办法 第三条"\n'
    uri = client.open(path, text)
    assert client.diagnostics(uri, 1) == []
    pos = {"line": 1, "character": utf16("修改 参数 高学") + 1}
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos})
    value = hover["contents"]["value"]
    assert "小学 4.5" in value and "初中 5.3" in value
    assert "国家 定义" in value and "rules/national/1-资源配置.rule" in value
    assert "测试省 修改" in value and "测试〔2024〕1号" in value and "测试办法 第三条" in value
    assert hover["range"]["start"] == {"line": 1, "character": 6}

    found = client.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": pos})
    assert len(found) == 1
    assert found[0]["uri"] == (rules / "national" / "1-资源配置.rule").as_uri()
    line = _national_line(rules, "参数 高学历教师标准")
    assert found[0]["range"]["start"] == {"line": line, "character": 3}

    refs = client.request("textDocument/references", {"textDocument": {"uri": uri}, "position": pos,
                                                      "context": {"includeDeclaration": True}})
    assert {(r["uri"], r["range"]["start"]["line"]) for r in refs} >= {
        (found[0]["uri"], line), (uri, 1)}


def test_hover_on_a_comment_or_keyword_inside_a_name(client: Client, rules: Path) -> None:
    path = rules / "provinces" / "测试省" / "e.rule"
    calc = "新增 学部指标 测试指标 计算 高于规定学历教师数 ÷ 学生数 × 100 要求 不低于 4  # 高学历教师标准"
    uri = client.open(path, f"规则集 测试省 继承 国家\n{calc}\n")
    assert client.diagnostics(uri, 1) == []

    def hover(character: int) -> Any:
        return client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                     "position": {"line": 1, "character": character}})

    inside = hover(calc.index("高于") + 1)  # 高于 is a keyword, but here it is part of one name
    assert inside["contents"]["value"].startswith("**学部字段 高于规定学历教师数**")
    assert inside["range"]["start"]["character"] == calc.index("高于")
    assert hover(calc.index("# 高学历") + 4) is None  # comments are not names
    assert hover(calc.index("不低于") + 1)["contents"]["value"] == "关键字 **不低于**:≥(含本数)"
