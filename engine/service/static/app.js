// 均衡 web page: choose a rule set, upload the county's Excel, see verdicts, explain a school,
// compare rule sets, download results. Plain JavaScript, no build step; all text via textContent.
"use strict";

const $ = (id) => document.getElementById(id);
let rulesets = [];
let remediesAvailable = false;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// The uploaded files and the chosen rule set, as a form; `extra` adds fields.
function facts(extra = {}) {
  const form = new FormData();
  form.append("schools", $("schools").files[0]);
  if ($("counties").files[0]) form.append("counties", $("counties").files[0]);
  if ($("as_of").value) form.append("as_of", $("as_of").value);
  for (const [key, value] of Object.entries(extra)) form.append(key, value);
  if (!("a" in extra)) form.append("ruleset", $("ruleset").value);
  return form;
}

// POST a form; JSON comes back as an object, a workbook as a Blob; errors are thrown as the error document.
async function post(path, form) {
  let response;
  try {
    response = await fetch(path, { method: "POST", body: form });
  } catch (e) {
    throw { 错误: { 消息: "无法连接服务:" + e.message } };
  }
  const type = response.headers.get("content-type") || "";
  if (!type.includes("json")) {
    if (!response.ok) throw { 错误: { 消息: `服务返回错误(HTTP ${response.status})` } };
    return response.blob();
  }
  const doc = await response.json();
  if (!response.ok) throw doc;
  return doc;
}

function where(loc) {
  if (!loc) return "";
  if (loc.JSON路径) return loc.JSON路径;
  if (loc.参数) return "参数 " + loc.参数;
  const parts = [loc.文件, loc.工作表 && `工作表 ${loc.工作表}`, loc.行 && `第 ${loc.行} 行`, loc.列名 && `列「${loc.列名}」`];
  return parts.filter(Boolean).join(" ");
}

function showError(doc) {
  const box = $("error");
  const err = (doc && doc.错误) || { 消息: String(doc) };
  const lines = [`${err.代码 ? err.代码 + " " : ""}${err.消息}`];
  if (err.位置) lines.push("位置:" + where(err.位置));
  if (err.提示) lines.push("提示:" + err.提示);
  for (const d of (doc.诊断 || []).slice(1, 20)) lines.push(`· ${d.代码} ${d.消息}${d.位置 ? "(" + where(d.位置) + ")" : ""}`);
  box.textContent = lines.join("\n");
  box.hidden = false;
}

function verdict(text) {
  return el("span", { class: "verdict " + (text || "") }, text || "—");
}

async function loadRulesets() {
  const response = await fetch("/v1/rulesets");
  const doc = await response.json();
  rulesets = doc.规则集列表;
  remediesAvailable = doc.整改;
  for (const select of [$("ruleset"), $("ruleset-b")]) {
    select.replaceChildren(...rulesets.map((r) => el("option", { value: r.名称 }, `${r.名称} — ${r.标题 || ""}`)));
  }
  $("ruleset").value = doc.默认规则集;
  $("ruleset-b").value = (rulesets.find((r) => r.名称 !== doc.默认规则集) || rulesets[0]).名称;
  showLayers();
  $("ledger").disabled = !remediesAvailable;
  $("ledger-note").textContent = remediesAvailable ? "" : "整改功能尚未提供";
}

function showLayers() {
  const r = rulesets.find((x) => x.名称 === $("ruleset").value);
  if (!r) return;
  $("layers").textContent = r.层.map((l) => `${l.名称}(${l.文号 || "未注明文号"})`).join(" → ");
  $("ruleset-a-name").textContent = r.名称;
}

async function evaluate(event) {
  event.preventDefault();
  $("error").hidden = true;
  $("busy").hidden = false;
  $("run").disabled = true;
  try {
    const doc = await post("/v1/evaluate/upload", facts());
    render(doc);
  } catch (doc) {
    showError(doc);
  } finally {
    $("busy").hidden = true;
    $("run").disabled = false;
  }
}

function render(doc) {
  $("provenance").textContent = `规则集:${doc.规则集}(${doc.文号 || "未注明文号"}) · 评估日期:${doc.评估日期} · 内容哈希:${doc.内容哈希.slice(0, 16)}…`;
  $("counties-verdict").replaceChildren(...doc.县区结论.map((c) => el("div", { class: "county" },
    el("div", { class: "big" }, `${c.县区}:${c.名称 || "总体结论"} `, verdict(c.结论)),
    el("ul", { class: "parts" }, c.分项.map((p) => el("li", {}, `${p.名称} `, verdict(p.结论)))),
    countyFailures(doc.结果, c))));
  const warnings = doc.警告 || [];
  $("warnings").hidden = warnings.length === 0;
  $("warnings").replaceChildren(...warnings.map((w) => el("div", {}, `提示 ${w.代码}:${w.消息}`)));
  renderSchools(doc.学校);
  for (const id of ["result", "schools-card", "diff-card"]) $(id).hidden = false;
  $("explain-panel").hidden = true;
  $("explain-hint").hidden = false;
  $("diff-body").replaceChildren();
}

function countyFailures(rows, county) {
  const shown = new Set([county.编号, ...county.分项.map((p) => p.编号)]);
  const bad = rows.filter((r) => r.对象 === "县区" && r.县区 === county.县区 && !shown.has(r.编号) && (r.结论 === "未达标" || r.结论 === "数据缺失"));
  if (!bad.length) return null;
  return el("table", {}, el("thead", {}, el("tr", {}, ["县级项目", "学段", "值", "要求", "结论"].map((h) => el("th", {}, h)))),
    el("tbody", {}, bad.map((r) => el("tr", { class: r.结论 === "未达标" ? "fail" : "missing" },
      el("td", {}, `${r.编号} ${r.名称}`), el("td", {}, r.学段 || ""), el("td", {}, r.值 ?? "—"), el("td", {}, r.要求), el("td", {}, r.结论)))));
}

function renderSchools(schools) {
  const only = $("only-failing").checked;
  const rows = schools.filter((s) => !only || s.状态 === "有未达标项").map((s) => el("tr", {
    class: s.状态 === "有未达标项" ? "fail" : s.状态 === "有数据缺失" ? "missing" : "",
    "data-id": s.学校标识码, onclick: () => explain(s),
  }, el("td", {}, s.学校名称), el("td", {}, s.学校标识码),
  el("td", {}, s.结论项.map((c) => el("span", { class: "tag", title: c.名称 }, `${c.编号}${c.学段 ? "(" + c.学段 + ")" : ""} `, verdict(c.结论)))),
  el("td", {}, s.未达标项目.join("、"))));
  $("school-table").tBodies[0].replaceChildren(...rows);
  renderSchools.last = schools;
}

async function explain(school) {
  for (const tr of $("school-table").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.id === school.学校标识码);
  $("explain-title").textContent = school.学校名称;
  $("explain-body").replaceChildren(el("p", { class: "muted" }, "正在解释……"));
  $("remedy-body").textContent = "";
  $("explain-hint").hidden = true;
  $("explain-panel").hidden = false;
  try {
    const doc = await post("/v1/explain/upload", facts({ school: school.学校标识码 }));
    $("explain-body").replaceChildren(...doc.解释.map((b) => el("pre", { class: "explanation" + (b.结论 === "未达标" ? " fail" : "") },
      b.文本.split("\n").map((line) => el("span", { class: /^\s*✗/.test(line) || /——\s*未达标/.test(line) ? "bad" : "" }, line + "\n")))));
  } catch (doc) {
    $("explain-body").replaceChildren(el("div", { class: "error" }, (doc.错误 && doc.错误.消息) || "解释失败"));
  }
  $("explain-card").scrollTop = 0;
  await remedies(school);
}

async function remedies(school) {
  if (!remediesAvailable) {
    $("remedy-body").textContent = "整改建议功能尚未提供。";
    return;
  }
  try {
    const doc = await post("/v1/remedies/upload", facts({ school: school.学校标识码 }));
    $("remedy-body").replaceChildren(...(doc.整改.length ? doc.整改.map((r) => el("div", { class: "remedy" },
      el("div", { class: "remedy-head" }, `${r.指标}${r.学段 ? "(" + r.学段 + ")" : ""}:现值 ${r.现值},要求 ${r.要求},${r.差距}`),
      el("pre", { class: "explanation" }, r.整改建议)))
      : [el("p", {}, "这所学校没有需要整改的项目。")]));
  } catch (doc) {
    $("remedy-body").textContent = (doc.错误 && doc.错误.消息) || "无法取得整改建议";
  }
}

async function compare() {
  $("diff-body").replaceChildren(el("p", { class: "muted" }, "正在比较……"));
  try {
    const doc = await post("/v1/diff/upload", facts({ a: $("ruleset").value, b: $("ruleset-b").value }));
    const changes = el("table", {}, el("thead", {}, el("tr", {}, ["操作", "种类", "名称", "变化", "方向"].map((h) => el("th", {}, h)))),
      el("tbody", {}, doc.差异.map((c) => el("tr", {}, [c.操作, c.种类, c.名称, c.说明, c.方向 || ""].map((v) => el("td", {}, v))))));
    const flips = (doc.翻转 || []).map((f) => el("tr", { class: f.变化后 === "未达标" ? "fail" : "" },
      [`${f.编号} ${f.名称}`, [f.学校名称 || f.县区, f.学段].filter(Boolean).join(" · "), `${f.变化前} → ${f.变化后}`, f.原因.join("、")]
        .map((v) => el("td", {}, v))));
    $("diff-body").replaceChildren(
      el("h3", {}, `规则差异 ${doc.差异.length} 处(${doc.规则集A} → ${doc.规则集B})`), changes,
      el("h3", {}, `本县数据上结论变化 ${flips.length} 处`),
      flips.length ? el("table", {}, el("thead", {}, el("tr", {}, ["项目", "对象", "变化", "原因"].map((h) => el("th", {}, h)))), el("tbody", {}, flips))
        : el("p", {}, "没有任何结论发生变化。"));
  } catch (doc) {
    $("diff-body").replaceChildren(el("div", { class: "error" }, (doc.错误 && doc.错误.消息) || "比较失败"));
  }
}

async function download(path, name) {
  try {
    const blob = await post(path, facts({ format: "xlsx" }));
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (doc) {
    showError(doc);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("form").addEventListener("submit", evaluate);
  $("ruleset").addEventListener("change", showLayers);
  $("only-failing").addEventListener("change", () => renderSchools(renderSchools.last || []));
  $("compare").addEventListener("click", compare);
  $("download").addEventListener("click", () => download("/v1/evaluate/upload", `评估结果-${$("ruleset").value}.xlsx`));
  $("ledger").addEventListener("click", () => download("/v1/remedies/upload", `整改台账-${$("ruleset").value}.xlsx`));
  loadRulesets().catch((e) => showError({ 错误: { 消息: "无法读取规则集列表:" + e } }));
});
