// The cases tab: case list, case card (state, plan, team, history; move, visit, team) and the
// monitoring table with drill-down county → township → school. Every request goes through
// api(), the one place that says how the page signs in. Data enters the page as text only.
"use strict";

const STATES = ["suspected", "confirmed", "persuading", "returned", "closed", "exempt"];
const PLANS = ["original_class", "new_class", "vocational_school", "home_delivery", "special_school"];
const EXEMPT = ["moved_out", "deceased", "medical_deferral", "aged_out"];
const ROLES = ["school", "township", "village", "department", "family"];
const MON_COLS = ["enrolled", "high_tier", "suspected", "confirmed", "persuading",
  "returned_this_term", "closed", "overdue", "out_of_school", "change"];

const WORDS = {
  zh: {
    watchlist: "风险名单", tab_cases: "案件", tab_monitoring: "监测", lang: "English",
    signin_first: "请先在风险名单页面登录。", cases_heading: "案件", state: "状态",
    overdue_only: "仅逾期未访", apply: "筛选", any: "全部", col_child: "学生", col_since: "日期",
    col_place: "学校 / 乡镇", col_lead: "包保责任人", col_due: "下次走访",
    returnees_heading: "复学学生（未销号）", back: "返回案件列表", move_heading: "变更状态",
    to: "改为", date: "日期", plan: "复学安置", reason: "原因", save: "保存",
    not_in_school_register: "户籍在册、没有学籍（户籍与学籍比对）", no_school: "未入学",
    team_heading: "“1 + N” 包保团队", team_edit: "调整团队",
    members_help: "成员（每行：姓名, 角色, 电话）", history_heading: "经过",
    visit_heading: "记录走访", visitor: "走访人", notes: "情况",
    monitoring_heading: "控辍保学监测", export_month: "导出月报（学校）",
    export_quarter: "导出季报（县）", count: "共 {n} 件", none: "没有符合条件的案件。",
    overdue: "逾期", no_lead: "尚未指定", visit: "走访", by_sync: "数据同步", saved: "已保存",
    error: "出错了，请稍后再试。", not_found: "找不到这个案件（或不在您的管辖范围）。",
    since: "自 {date}", due: "下次走访：{date}", plan_is: "安置：{plan}", all_units: "全部",
    risk: "当前风险 {risk}", episode: "第 {n} 次", unit: "单位",
    suspected: "疑似辍学", confirmed: "辍学", persuading: "劝返中", returned: "已复学",
    closed: "销号", exempt: "不计辍学",
    original_class: "回原班", new_class: "插班", vocational_school: "职业学校",
    home_delivery: "送教上门", special_school: "特殊教育学校",
    moved_out: "转出（有接收学校）", deceased: "死亡", medical_deferral: "因病缓学", aged_out: "超龄",
    school: "学校", township: "乡镇", village: "村", department: "部门", family: "家庭",
    county: "县", enrolled: "在籍", high_tier: "高风险", returned_this_term: "本学期复学",
    out_of_school: "失学辍学", change: "较上期",
  },
  en: {
    watchlist: "Watchlist", tab_cases: "Cases", tab_monitoring: "Monitoring", lang: "中文",
    signin_first: "Sign in on the watchlist page first.", cases_heading: "Cases", state: "State",
    overdue_only: "Overdue only", apply: "Filter", any: "All", col_child: "Child",
    col_since: "Since", col_place: "School / township", col_lead: "Lead mentor",
    col_due: "Next visit", returnees_heading: "Returnees (case still open)",
    back: "Back to cases", move_heading: "Move the case", to: "To", date: "Date", plan: "Plan",
    not_in_school_register: "in the household register, in no school register", no_school: "in no school",
    reason: "Reason", save: "Save", team_heading: "The \"1 + N\" team", team_edit: "Change the team",
    members_help: "Members (one a line: name, role, phone)", history_heading: "History",
    visit_heading: "Record a visit", visitor: "Visitor", notes: "Notes",
    monitoring_heading: "Monitoring", export_month: "Monthly report (schools)",
    export_quarter: "Quarterly report (county)", count: "{n} cases",
    none: "No case matches.", overdue: "overdue", no_lead: "not assigned", visit: "visit",
    by_sync: "data sync", saved: "Saved", error: "Something went wrong; try again.",
    not_found: "No such case (or not in your jurisdiction).", since: "since {date}",
    due: "Next visit: {date}", plan_is: "Plan: {plan}", all_units: "All", risk: "risk now {risk}",
    episode: "episode {n}", unit: "Unit",
    suspected: "suspected", confirmed: "out of school", persuading: "being persuaded back",
    returned: "returned", closed: "closed", exempt: "exempt",
    original_class: "original class", new_class: "new class", vocational_school: "vocational school",
    home_delivery: "education at home", special_school: "special school",
    moved_out: "moved out (receiving school)", deceased: "deceased", medical_deferral: "medical deferral",
    aged_out: "past compulsory age", school: "school", township: "township", village: "village",
    department: "department", family: "family", county: "county", enrolled: "enrolled",
    high_tier: "high risk", returned_this_term: "returned this term", out_of_school: "out of school",
    change: "change",
  },
};

const state = { lang: "zh", me: null, drill: {}, level: "county" };

function t(key, vars = {}) {
  const text = WORDS[state.lang][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

function status(message) { $("c-status").textContent = message || ""; }

class SignedOut extends Error {}

// The one door to the API.
async function api(path, options = {}) {
  const response = await fetchWithCredentials(path, options);
  if (response.status === 401) throw new SignedOut();
  return response;
}

async function apiJson(path, options) {
  const response = await api(path, options);
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    const why = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail;
    throw Object.assign(new Error(why || `HTTP ${response.status}`), { response });
  }
  return response.json();
}

function applyTexts() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-c]")) node.textContent = t(node.dataset.c);
  $("c-lang").textContent = t("lang");
  fillSelect($("c-state"), ["", ...STATES], $("c-state").value);
  fillSelect($("m-plan"), ["", ...PLANS], $("m-plan").value, "—");
}

function fillSelect(select, values, keep, blank = t("any")) {
  select.replaceChildren(...values.map((v) => el("option", { value: v, text: v ? t(v) : blank })));
  if (keep !== undefined) select.value = keep;
}

const mayMove = () => state.me && state.me.role === "caseworker" && /^(all|county:|township:)/.test(state.me.scope);
const badge = (s) => el("span", { class: `c-badge s-${s}`, text: t(s) });

// ---- case list -----------------------------------------------------------------------------

async function openList() {
  show("c-list");
  const params = new URLSearchParams({ limit: "200" });
  if ($("c-state").value) params.set("state", $("c-state").value);
  if ($("c-overdue").checked) params.set("overdue", "true");
  const [list, back] = await Promise.all([
    apiJson(`/v1/cases?${params}`), apiJson("/v1/cases/returnees?limit=50"),
  ]);
  $("c-count").textContent = list.total ? t("count", { n: list.total }) : t("none");
  $("c-rows").replaceChildren(...list.cases.map(caseRow));
  $("c-returnees").replaceChildren(...back.map((r) => el("li", {},
    el("a", { href: `/cases/${r.case.id}`, "data-cnav": "", text: r.case.name || r.case.student_id }),
    ` · ${r.case.school_id} · ${t(r.case.plan || "")}`,
    r.risk === null ? "" : ` · ${t("risk", { risk: `${Math.round(r.risk * 100)}%` })}`)));
}

function caseRow(c) {
  const due = el("td", { "data-label": t("col_due"), text: c.next_visit_due || "" });
  if (c.overdue) due.append(" ", el("span", { class: "late", text: t("overdue") }));
  return el("tr", { "data-case": String(c.id) },
    el("td", { "data-label": t("col_child") },
      el("a", { href: `/cases/${c.id}`, "data-cnav": "", text: c.name || c.student_id })),
    el("td", { "data-label": t("state") }, badge(c.state)),
    el("td", { "data-label": t("col_since"), text: c.state_on }),
    el("td", { "data-label": t("col_place"), text: `${c.school_id || t("no_school")} / ${c.township}` }),
    el("td", { "data-label": t("col_lead"), text: c.lead || t("no_lead") }),
    due);
}

// ---- case card -----------------------------------------------------------------------------

async function openCard(id) {
  show("c-card");
  let detail;
  try {
    detail = await apiJson(`/v1/cases/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error.response && error.response.status === 404) { status(t("not_found")); return; }
    throw error;
  }
  state.card = detail;
  renderCard();
}

function renderCard() {
  const { case: c, team, transitions, visits } = state.card;
  $("c-card-h").textContent = c.name || c.student_id;
  $("c-card-sub").textContent = `${c.student_id} · ${c.school_id || t("no_school")} · ${c.township} · ${c.county} · ${t("episode", { n: c.episode })}`;
  $("c-card-state").replaceWith(Object.assign(badge(c.state), { id: "c-card-state" }));
  $("c-card-since").textContent = t("since", { date: c.state_on });
  $("c-card-plan").textContent = c.plan ? t("plan_is", { plan: t(c.plan) }) : "";
  $("c-card-due").textContent = c.next_visit_due ? t("due", { date: c.next_visit_due }) + (c.overdue ? ` (${t("overdue")})` : "") : "";
  $("c-lead").textContent = `${t("col_lead")}: ${c.lead || t("no_lead")}`;
  $("c-team").replaceChildren(...team.map((m) => el("li", { text: [m.name, t(m.role), m.phone].filter(Boolean).join(" · ") })));
  const events = [
    ...transitions.map((x) => ({ on: x.on_date, text: `${x.from_state ? t(x.from_state) + " → " : ""}${t(x.to_state)}${x.plan ? " · " + t(x.plan) : ""}${x.reason ? " · " + (t(x.reason)) : ""} · ${x.by || t("by_sync")}` })),
    ...visits.map((v) => ({ on: v.visited_on, text: `${t("visit")} · ${v.visitor}${v.notes ? " · " + v.notes : ""}` })),
  ].sort((a, b) => (a.on < b.on ? -1 : a.on > b.on ? 1 : 0));
  $("c-history").replaceChildren(...events.map((e) => el("li", { text: `${e.on} ${e.text}` })));
  const allowed = { suspected: ["confirmed", "persuading", "returned", "closed", "exempt"],
    confirmed: ["persuading", "returned", "exempt"], persuading: ["confirmed", "returned", "exempt"],
    returned: ["confirmed", "closed", "exempt"], closed: [], exempt: [] }[c.state];
  $("c-move").hidden = !mayMove() || allowed.length === 0;
  $("c-team-form").hidden = !mayMove();
  fillSelect($("m-to"), allowed);
  $("t-lead").value = c.lead || "";
  $("t-members").value = team.map((m) => [m.name, m.role, m.phone || ""].join(", ")).join("\n");
  $("t-due").value = c.next_visit_due || "";
  const today = new Date().toISOString().slice(0, 10);
  if (!$("m-date").value) $("m-date").value = today;
  if (!$("v2-date").value) $("v2-date").value = today;
}

async function submit(event, errorId, path, method, body) {
  event.preventDefault();
  $(errorId).hidden = true;
  try {
    state.card = await apiJson(path, { method, body: JSON.stringify(body) });
    renderCard();
    status(t("saved"));
  } catch (error) {
    if (error instanceof SignedOut) return signedOut();
    $(errorId).textContent = error.message;
    $(errorId).hidden = false;
  }
}

function onMove(event) {
  const f = new FormData($("c-move"));
  const to = f.get("to");
  let reason = String(f.get("reason") || "").trim() || null;
  if (to === "exempt" && reason && !EXEMPT.includes(reason)) {
    reason = EXEMPT.find((r) => t(r) === reason) || reason;
  }
  return submit(event, "m-error", `/v1/cases/${state.card.case.id}/transitions`, "POST",
    { to, date: f.get("date"), reason, plan: f.get("plan") || null });
}

function onTeam(event) {
  const f = new FormData($("c-team-form"));
  const members = String(f.get("members") || "").split("\n").map((line) => line.split(/[,，]/).map((s) => s.trim()))
    .filter((p) => p[0]).map(([name, role, phone]) => ({ name, role: ROLES.find((r) => r === role || t(r) === role) || role, phone: phone || null }));
  return submit(event, "t-error", `/v1/cases/${state.card.case.id}/team`, "PUT",
    { lead: String(f.get("lead") || "").trim() || null, members, next_visit_due: f.get("due") || null });
}

function onVisit(event) {
  const f = new FormData($("c-visit"));
  return submit(event, "v2-error", `/v1/cases/${state.card.case.id}/visits`, "POST",
    { date: f.get("date"), visitor: String(f.get("visitor")).trim(), notes: String(f.get("notes") || ""), next_visit_due: f.get("due") || null });
}

// ---- monitoring ----------------------------------------------------------------------------

const NEXT = { county: "township", township: "school", school: null };

async function openMonitoring() {
  show("c-monitor");
  const params = new URLSearchParams({ level: state.level });
  for (const [k, v] of Object.entries(state.drill)) params.set(k, v);
  const data = await apiJson(`/v1/monitoring?${params}`);
  const keyOf = { county: "county", township: "township", school: "school_id" }[state.level];
  $("c-mon-head").replaceChildren(el("th", { scope: "col", text: t(state.level) }),
    ...MON_COLS.map((c) => el("th", { scope: "col", class: "n", text: t(c) })));
  $("c-mon-rows").replaceChildren(...data.units.map((u) => {
    const name = u[keyOf];
    const cell = NEXT[state.level]
      ? el("button", { type: "button", "data-unit": name, text: name })
      : document.createTextNode(name);
    return el("tr", {}, el("th", { scope: "row" }, cell),
      ...MON_COLS.map((c) => el("td", { class: "n", "data-col": c, text: String(u[c] ?? "") })));
  }));
  $("c-mon-foot").replaceChildren(el("tr", {}, el("td", { text: t("all_units") }),
    ...MON_COLS.map((c) => el("td", { class: "n", "data-total": c, text: String(data.total[c]) }))));
  const crumbs = [el("button", { type: "button", class: "secondary", "data-level": "county", text: t("county") })];
  if (state.drill.county) crumbs.push(el("button", { type: "button", class: "secondary", "data-level": "township", text: state.drill.county }));
  if (state.drill.township) crumbs.push(el("span", { text: state.drill.township }));
  $("c-crumbs").replaceChildren(...crumbs);
}

function onDrill(event) {
  const unit = event.target.closest("button[data-unit]");
  const up = event.target.closest("button[data-level]");
  if (unit) {
    const key = { county: "county", township: "township" }[state.level];
    state.drill = { ...state.drill, [key]: unit.dataset.unit };
    state.level = NEXT[state.level];
  } else if (up) {
    state.level = up.dataset.level;
    state.drill = up.dataset.level === "county" ? {} : { county: state.drill.county };
  } else return;
  openMonitoring().catch(failed);
}

async function download(period) {
  const params = new URLSearchParams({ period, lang: state.lang, ...state.drill });
  const response = await api(`/v1/monitoring/export?${params}`);
  if (!response.ok) { status(t("error")); return; }
  const url = URL.createObjectURL(await response.blob());
  const name = (response.headers.get("Content-Disposition") || "").match(/filename="(.+)"/);
  const link = el("a", { href: url, download: name ? name[1] : "report.xlsx" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- routing -------------------------------------------------------------------------------

function show(view) {
  for (const id of ["c-signin", "c-list", "c-card", "c-monitor"]) $(id).hidden = id !== view;
  $("tab-cases").toggleAttribute("aria-current", view === "c-list" || view === "c-card");
  $("tab-monitoring").toggleAttribute("aria-current", view === "c-monitor");
  if (view === "c-list" || view === "c-card") $("tab-cases").setAttribute("aria-current", "page");
  if (view === "c-monitor") $("tab-monitoring").setAttribute("aria-current", "page");
}

function signedOut() { show("c-signin"); }

function failed(error) {
  if (error instanceof SignedOut) return signedOut();
  console.error(error);
  status(t("error"));
}

async function route() {
  status("");
  try {
    if (!state.me) {
      state.me = await apiJson("/v1/me");
      $("c-who").textContent = state.me.name;
    }
    const path = location.pathname.replace(/\/+$/, "");
    const match = path.match(/^\/cases\/(\d+)$/);
    if (path === "/cases/monitoring") await openMonitoring();
    else if (match) await openCard(match[1]);
    else await openList();
  } catch (error) {
    failed(error);
  }
}

function navigate(href) {
  history.pushState(null, "", href);
  route();
}

function start() {
  const saved = localStorage.getItem(LANG_KEY) || (document.cookie.match(/(?:^|; )lang=(zh|en)/) || [])[1];
  if (saved && WORDS[saved]) state.lang = saved;
  applyTexts();
  $("c-lang").addEventListener("click", () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    localStorage.setItem(LANG_KEY, state.lang);
    document.cookie = `lang=${state.lang}; path=/; max-age=31536000; samesite=strict`;
    applyTexts();
    route();
  });
  $("c-filters").addEventListener("submit", (e) => { e.preventDefault(); openList().catch(failed); });
  $("c-move").addEventListener("submit", onMove);
  $("c-team-form").addEventListener("submit", onTeam);
  $("c-visit").addEventListener("submit", onVisit);
  $("c-mon-rows").addEventListener("click", onDrill);
  $("c-crumbs").addEventListener("click", onDrill);
  $("x-month").addEventListener("click", () => download("month").catch(failed));
  $("x-quarter").addEventListener("click", () => download("quarter").catch(failed));
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-cnav]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(link.getAttribute("href"));
  });
  window.addEventListener("popstate", route);
  route();
}

start();
