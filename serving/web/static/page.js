// The case workers' page: sign-in, watchlist and student card over the JSON API.
// Phones sign in with a one-time code that the server trades for an HttpOnly session cookie
// (the script never sees it). API users may paste their long bearer token instead; it lives
// in sessionStorage only, never in a URL or a cookie. Either way every request carries the
// caller's own scope, so the API's rules are the page's rules.
// Data goes into the page through textContent only, never as HTML.
"use strict";

const PAGE_SIZE = 50;

const state = {
  lang: document.body.dataset.lang || "zh",
  i18n: JSON.parse(document.body.dataset.i18n),
  me: null,
  list: null, // {rows, total, filters, lastVisits}
  card: null, // {student, history, visits}
  missingId: null,
};

// ---- words -------------------------------------------------------------------------------

function t(key, vars = {}) {
  const text = state.i18n[state.lang][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

function applyStaticTexts() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll("[data-t-label]")) {
    el.setAttribute("aria-label", t(el.dataset.tLabel));
  }
  $("lang-switch").lang = state.lang === "zh" ? "en" : "zh-CN";
}

function setLang(lang) {
  state.lang = lang;
  localStorage.setItem(LANG_KEY, lang);
  // The server renders the next visit in this language (the cookie holds only "zh"/"en").
  document.cookie = `lang=${lang}; path=/; max-age=31536000; samesite=strict`;
  applyStaticTexts();
  renderWho();
  if (state.list && !$("list-view").hidden) renderList();
  if (state.card && !$("card-view").hidden) renderCard();
  if (!$("notfound-view").hidden) renderNotFound();
  if (state.visitList && !$("visitlist-view").hidden) renderVisitList();
  if (state.notEnrolled && !$("notenrolled-view").hidden) renderNotEnrolled();
  if (state.effects !== undefined && !$("effects-view").hidden) renderEffects();
  status(state.statusKey);
}

// Whole percent points: a calibrated risk is not more precise than that.
const pct = (risk) => (risk < 0.005 ? "<1%" : risk >= 0.995 ? ">99%" : `${Math.round(risk * 100)}%`);
const tierText = (tier) => t(`tier_${tier}`);
const factorText = (f) => (state.lang === "zh" ? f.zh : f.en);

function scopeText(scope) {
  if (scope === "all") return t("scope_all");
  const [kind, ...rest] = scope.split(":");
  // A township scope is pinned to its county ("township:青山县/城关镇"); show the township.
  const value = rest.join(":");
  return t(`scope_${kind}`, { value: kind === "township" ? value.split("/").pop() : value });
}

function tierBadge(tier) {
  return el("span", { class: `tier tier-${tier}`, text: tierText(tier) });
}

// The status line holds a text key, not words, so that switching language re-words it.
function status(key) {
  state.statusKey = key || null;
  $("status").textContent = key ? t(key) : "";
}

// ---- the API -----------------------------------------------------------------------------

class SignedOut extends Error {}

async function api(path, options = {}) {
  const response = await fetchWithCredentials(path, options);
  if (response.status === 401 && !options.quiet) {
    signOut("session_expired");
    throw new SignedOut();
  }
  return response;
}

async function apiJson(path) {
  const response = await api(path);
  if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { response });
  return response.json();
}

// ---- views and routing -------------------------------------------------------------------

const VIEWS = [
  "signin-view", "list-view", "card-view", "visitlist-view", "notenrolled-view", "effects-view", "notfound-view",
];

function show(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  const signedIn = view !== "signin-view";
  $("signout").hidden = !signedIn;
  $("who").hidden = !signedIn;
}

function navigate(url) {
  history.pushState(null, "", url);
  route();
}

async function route() {
  status(null);
  // Old-style links (/#/students/ID) become real paths.
  const hash = location.hash.match(/^#\/students\/(.+)$/);
  if (hash) history.replaceState(null, "", `/students/${hash[1]}`);
  try {
    if (!state.me) {
      // A session cookie (or a token in this tab) may already sign us in.
      const response = await api("/v1/me", { quiet: true });
      if (response.status === 401 || !response.ok) return showSignIn();
      state.me = await response.json();
      renderWho();
    }
    if (!state.schools) await loadSchools();
    const match = location.pathname.match(/^\/students\/([^/]+)\/?$/);
    if (match) await openCard(decodeURIComponent(match[1]), new URLSearchParams(location.search).get("county"));
    else if (location.pathname === "/visit-list") await openVisitList();
    else if (location.pathname === "/not-enrolled") await openNotEnrolled(); // outreach.js
    else if (location.pathname === "/effects") await openEffects(); // effects.js
    else await openList();
  } catch (error) {
    if (error instanceof SignedOut) return;
    console.error(error);
    status("error");
  }
}

// ---- sign-in -----------------------------------------------------------------------------

function showSignIn() {
  show("signin-view");
  $("code").focus();
}

async function signedIn() {
  $("signin-error").hidden = true;
  $("token-error").hidden = true;
  renderWho();
  await route();
  $("main").focus();
}

async function signIn(event) {
  event.preventDefault();
  const code = $("code").value.trim();
  if (!code) return;
  const response = await fetch("/v1/session", {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify({ code }),
    credentials: "same-origin",
  });
  $("code").value = "";
  if (!response.ok) {
    $("signin-error").textContent = t(response.status === 429 ? "signin_blocked" : "signin_failed");
    $("signin-error").hidden = false;
    $("code").focus();
    return;
  }
  state.me = await apiJson("/v1/me");
  await signedIn();
}

async function signInWithToken(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  const response = await fetch("/v1/me", {
    headers: { Accept: "application/json", Authorization: `Bearer ${token}` },
    credentials: "omit",
  });
  if (!response.ok) {
    $("token-error").textContent = t("token_failed");
    $("token-error").hidden = false;
    $("token").focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  state.me = await response.json();
  $("token").value = "";
  await signedIn();
}

function signOut(message) {
  const hadToken = sessionStorage.getItem(TOKEN_KEY);
  sessionStorage.removeItem(TOKEN_KEY);
  // Ends the cookie session on the server too (the cookie itself is out of the script's reach).
  if (!hadToken) fetch("/v1/session", { method: "DELETE", credentials: "same-origin" }).catch(() => {});
  state.me = state.list = state.card = state.schools = state.visitList = state.notEnrolled = null;
  state.effects = undefined;
  $("watchlist-body").replaceChildren();
  show("signin-view");
  if (location.pathname !== "/") history.replaceState(null, "", "/");
  status(message);
  $("code").focus();
}

function renderWho() {
  if (!state.me) return;
  $("who").textContent = `${t("signed_in_as")}: ${state.me.name} · ${scopeText(state.me.scope)}`;
}

// ---- the watchlist -----------------------------------------------------------------------

function filtersFromUrl() {
  const params = new URLSearchParams(location.search);
  const filters = {};
  for (const key of ["school_id", "township", "tier"]) {
    if (params.get(key)) filters[key] = params.get(key);
  }
  return filters;
}

function fillSelect(select, values, chosen, label = (v) => v) {
  const first = select.options[0];
  select.replaceChildren(first, ...values.map((v) => el("option", { value: v, text: label(v) })));
  select.value = values.includes(chosen) ? chosen : "";
}

// School names by (county, school id); a school id alone when it names one school.
async function loadSchools() {
  state.schools = {};
  for (const s of await apiJson("/v1/schools")) {
    state.schools[`${s.county}/${s.school_id}`] = s.name;
    state.schools[s.school_id] = s.school_id in state.schools ? s.school_id : s.name;
  }
}

const schoolName = (schoolId, county) =>
  (state.schools && (state.schools[`${county}/${schoolId}`] || state.schools[schoolId])) || schoolId;

async function openList() {
  show("list-view");
  const filters = filtersFromUrl();
  fillSelect($("f-school"), state.me.schools, filters.school_id, (id) => schoolName(id));
  fillSelect($("f-township"), state.me.townships, filters.township);
  $("f-tier").value = filters.tier || "";
  // Filters start open on a wide screen or when one is set; folded on a phone.
  $("filter-box").open = Object.keys(filters).length > 0 || matchMedia("(min-width: 44rem)").matches;
  $("list-count").textContent = t("loading");
  state.list = { rows: [], total: 0, filters, lastVisits: {} };
  await loadMore();
}

async function loadMore() {
  const list = state.list;
  const params = new URLSearchParams({ ...list.filters, limit: PAGE_SIZE, offset: list.rows.length });
  const page = await apiJson(`/v1/watchlist?${params}`);
  list.rows.push(...page.students);
  for (const p of page.places || []) (list.places ||= {})[`${p.level}|${p.county}|${p.place}`] = p;
  list.total = page.total;
  list.asOf = page.as_of;
  if (page.students.length) {
    const ids = new URLSearchParams(page.students.map((s) => ["student_id", s.student_id]));
    Object.assign(list.lastVisits, await apiJson(`/v1/visits/latest?${ids}`));
  }
  renderList();
}

function renderCapacity() {
  const me = state.me;
  if (!me.as_of) {
    $("capacity-text").textContent = t("capacity_none");
    $("capacity-how").textContent = "";
    $("as-of").textContent = "";
    return;
  }
  const vars = { scope: scopeText(me.scope), n: me.capacity.scope, batch: me.capacity.batch };
  $("as-of").textContent = t("as_of", { date: me.as_of });
  $("capacity-text").textContent = t("capacity", vars);
  $("capacity-how").textContent = t("capacity_how", vars);
}

// Ids are unique within a county only: the link names the child's county too.
const studentPath = (id, county) =>
  `/students/${encodeURIComponent(id)}` + (county ? `?county=${encodeURIComponent(county)}` : "");

function studentLink(student) {
  const href = studentPath(student.student_id, student.county);
  return el("a", { href, "data-nav": "", text: student.name || t("no_name") });
}

// Issue 12 item 5: a child's risk well above their school's mean (twice it, 5 points more).
function aboveSchool(s) {
  const school = state.list.places?.[`school|${s.county}|${s.school_id}`];
  if (!school || s.risk < 2 * school.mean_risk || s.risk - school.mean_risk < 0.05) return "";
  const title = t("above_school_title", { mean: pct(school.mean_risk) });
  return el("span", { class: "above-school", title, text: ` ▲${t("above_school")}` });
}

function placeText(key, p) {
  const left = p.leaving_rate == null ? t("place_rate_unknown") : p.leaving_rate === 0 ? "0%" : pct(p.leaving_rate);
  return t(key, { risk: pct(p.mean_risk), left });
}

function renderList() {
  renderCapacity();
  const { rows, total, lastVisits } = state.list;
  const labels = (key) => ({ "data-label": t(key) });
  const body = $("watchlist-body");
  body.replaceChildren();
  rows.forEach((s, i) => {
    const reasons = el("ul", { class: "reasons" });
    for (const f of reasonsOf(s.factors).slice(0, 3)) {
      reasons.append(el("li", { text: factorText(f) }));
    }
    const student = el("td", { class: "student lead" }, studentLink(s));
    student.append(el("span", { class: "sid", text: s.student_id }));
    const row = el(
      "tr",
      { "data-student": s.student_id },
      el("td", { class: "num lead", text: String(i + 1) }),
      student,
      el("td", { class: "num lead risk", text: pct(s.risk) }, aboveSchool(s)),
      el("td", { class: "lead" }, tierBadge(s.tier)),
      el("td", { class: "pair", ...labels("col_school"), text: schoolName(s.school_id, s.county) }),
      el("td", { class: "pair", ...labels("col_grade"), text: t("grade_n", { g: s.grade }) }),
      el("td", labels("col_reasons"), reasons),
      el("td", { class: "num", ...labels("col_last_visit"), text: lastVisits[s.student_id] || t("never_visited") }),
    );
    body.append(row);
    // The line under the last student this round's visits reach (the high tier).
    const next = rows[i + 1];
    if (s.tier === "high" && next && next.tier !== "high") {
      const cell = el("td", { colspan: "8", text: t("capacity_line") });
      body.append(el("tr", { class: "capacity-end" }, cell));
    }
  });
  renderPastAge();
  $("list-empty").hidden = rows.length > 0;
  $("list-count").textContent = t("showing", { shown: rows.length, total });
  $("more").hidden = rows.length >= total;
  const params = new URLSearchParams();
  for (const key of ["school_id", "township"]) if (state.list.filters[key]) params.set(key, state.list.filters[key]);
  $("to-visit-list").setAttribute("href", params.size ? `/visit-list?${params}` : "/visit-list");
}

// Children past compulsory-school age are listed apart, so an official sees why they are
// not ranked; the list's heading says so when they are the ones shown.
function renderPastAge() {
  const apart = state.list.filters.tier === "past_age";
  const n = state.me.tiers?.past_age || 0;
  $("list-h").textContent = t(apart ? "past_age_heading" : "list_heading");
  $("past-age").hidden = apart || n === 0;
  $("past-age-text").textContent = t("past_age_note", { n });
}

function applyFilters(event) {
  event.preventDefault();
  const params = new URLSearchParams();
  for (const [key, value] of new FormData($("filter-form"))) if (value) params.set(key, value);
  const query = params.toString();
  navigate(query ? `/?${query}` : "/");
}

function search(event) {
  event.preventDefault();
  const id = $("search-id").value.trim();
  if (id) navigate(`/students/${encodeURIComponent(id)}`);
}

// ---- the student card --------------------------------------------------------------------

// The API for one child: its county pins the child when an id is in several counties.
const studentApi = (id, county, rest = "") =>
  `/v1/students/${encodeURIComponent(id)}${rest}` + (county ? `?county=${encodeURIComponent(county)}` : "");

async function openCard(studentId, county = null) {
  const response = await api(studentApi(studentId, county));
  if (response.status === 404 || response.status === 409) {
    // 409: children of several counties in this scope have the id; let the reader choose.
    state.card = null;
    state.missingId = studentId;
    state.ambiguous = response.status === 409;
    show("notfound-view");
    renderNotFound();
    $("nf-h").focus();
    return;
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const student = await response.json();
  const where = student.county;
  const [history, visits, contact] = await Promise.all([
    apiJson(studentApi(studentId, where, "/history")),
    apiJson(studentApi(studentId, where, "/visits")),
    // Contact details are for case workers in scope; anyone else simply sees no panel.
    api(studentApi(studentId, where, "/contact")).then((r) => (r.ok ? r.json() : null)),
  ]);
  state.card = { student, history, visits, contact };
  show("card-view");
  renderCard();
  resetVisitForm();
  $("card-h").focus();
}

function renderNotFound() {
  const id = state.missingId;
  $("nf-h").textContent = t(state.ambiguous ? "ambiguous_heading" : "not_found_heading");
  $("nf-text").textContent = t(state.ambiguous ? "ambiguous_text" : "not_found_text", { id });
  const counties = state.ambiguous ? state.me.counties : [];
  $("nf-choices").replaceChildren(
    ...counties.map((c) => el("li", {}, el("a", { href: studentPath(id, c), "data-nav": "", text: c }))),
  );
}

function renderCard() {
  const { student: s, history } = state.card;
  $("card-h").textContent = s.name || t("no_name");
  $("card-sub").textContent = [
    t("student_id", { id: s.student_id }),
    schoolName(s.school_id, s.county),
    s.township,
    t("grade_n", { g: s.grade }),
  ].join(" · ");
  $("card-risk").textContent = pct(s.risk);
  $("card-tier").replaceWith(Object.assign(tierBadge(s.tier), { id: "card-tier" }));
  const k = Math.round(s.risk * 100);
  const words = k < 1 ? t("risk_note_small") : k > 99 ? t("risk_note_large") : k;
  const months = Math.round((state.me?.horizon_days ?? 180) / 30);
  $("card-note").textContent = t("risk_note", { k: words, months });
  $("card-ranks").textContent = [
    s.tier === "past_age"
      ? t("past_age_card")
      : t("ranks", { school: s.rank_in_school, county: s.rank_in_county }),
    t("as_of", { date: s.as_of }),
    t("model_version", { v: s.model_version }),
  ].join(" · ");
  $("card-places").textContent = [
    s.school_context && placeText("place_school", s.school_context),
    s.township_context && placeText("place_township", s.township_context),
  ].filter(Boolean).join(t("place_join"));
  renderTrend(history);
  renderFactors(s.factors);
  renderContact(state.card.contact);
  renderVisits();
}

function guardianText(c) {
  const who = c.guardian ? t(`guardian_${c.guardian}`) : t("unknown");
  const away =
    c.father_migrant && c.mother_migrant
      ? t("both_away")
      : c.father_migrant
        ? t("father_away")
        : c.mother_migrant
          ? t("mother_away")
          : "";
  const name = c.guardian_name ? ` ${c.guardian_name}` : "";
  return away ? `${who}${name}（${away}）` : `${who}${name}`;
}

function contactPairs(c) {
  return [
    [t("guardian"), guardianText(c)],
    [t("village"), c.village || t("unknown")],
    [t("address"), c.address || t("unknown")],
    [t("phone"), c.guardian_phone || t("unknown")],
  ];
}

function renderContact(c) {
  $("contact-panel").hidden = !c;
  if (!c) return;
  $("contact").replaceChildren(
    ...contactPairs(c).flatMap(([k, v]) => {
      const value = el("dd", { text: v });
      if (k === t("phone") && c.guardian_phone) {
        value.replaceChildren(el("a", { href: `tel:${c.guardian_phone}`, text: c.guardian_phone }));
      }
      return [el("dt", { text: k }), value];
    }),
  );
}

// ---- the printable visit list ------------------------------------------------------------

async function openVisitList() {
  show("visitlist-view");
  const params = new URLSearchParams(location.search);
  const query = new URLSearchParams();
  for (const key of ["school_id", "township", "village"]) if (params.get(key)) query.set(key, params.get(key));
  query.set("limit", "40");
  state.visitList = { data: await apiJson(`/v1/visit-list?${query}`), params };
  renderVisitList();
  $("vl-h").focus();
}

function renderVisitList() {
  const { data, params } = state.visitList;
  fillSelect($("vl-school"), state.me.schools, params.get("school_id"), (id) => schoolName(id));
  fillSelect($("vl-village"), data.villages, params.get("village"));
  const place = [params.get("school_id") && schoolName(params.get("school_id")), params.get("village")]
    .filter(Boolean)
    .join(" · ");
  $("vl-sub").textContent = [place, t("visit_list_sub", { date: data.as_of || "", n: data.students.length })]
    .filter(Boolean)
    .join(" · ");
  $("vl-body").replaceChildren(
    ...data.students.map((e, i) => {
      const s = e.student;
      const who = el("td", { class: "student" }, studentLink(s));
      who.append(
        el("span", { class: "sid", text: `${s.student_id} · ${e.school_name || s.school_id} · ${t("grade_n", { g: s.grade })}` }),
      );
      const contact = el("td");
      if (e.contact) {
        for (const [k, v] of contactPairs(e.contact)) contact.append(el("div", { text: `${k}：${v}` }));
      } else contact.textContent = t("unknown");
      const reasons = el("ul", { class: "reasons" });
      for (const f of reasonsOf(s.factors).slice(0, 3)) reasons.append(el("li", { text: factorText(f) }));
      return el(
        "tr",
        { "data-student": s.student_id },
        el("td", { class: "num", text: String(i + 1) }),
        who,
        contact,
        el("td", {}, reasons),
        el("td", { class: "notes-space" }),
      );
    }),
  );
  $("vl-empty").hidden = data.students.length > 0;
}

function applyVisitListFilters(event) {
  event.preventDefault();
  const params = new URLSearchParams();
  for (const [key, value] of new FormData($("vl-form"))) if (value) params.set(key, value);
  navigate(params.size ? `/visit-list?${params}` : "/visit-list");
}

// Reasons raise this child's risk; context is a fact, shown without a direction. (An older
// batch's factors carry no kind: keep the raising
// ones that are not demographics, as serving/reasons.py's CONTEXT says).
const CONTEXT_NAMES = new Set(["age", "grade", "gender", "ethnic_minority", "disability"]);
const reasonsOf = (factors) =>
  factors.filter((f) => (f.kind ? f.kind === "reason" : f.contribution > 0 && !CONTEXT_NAMES.has(f.indicator)));
const contextOf = (factors) => factors.filter((f) => f.kind === "context");
// One scale for every bar on every card: a full bar is this push on the log-odds.
const BAR_FULL_LOGODDS = 1.5;

function renderFactors(factors) {
  const reasons = reasonsOf(factors);
  $("factors").replaceChildren(
    ...reasons.map((f) => {
      const bar = el("span", { class: "bar", "aria-hidden": "true" });
      bar.style.width = `${Math.max(4, Math.min(100, (100 * f.contribution) / BAR_FULL_LOGODDS))}%`;
      const item = el("li", { text: factorText(f) });
      item.append(el("span", { class: "dir", text: `▲ ${t("raises")}` }), bar);
      return item;
    }),
  );
  $("no-reasons").hidden = reasons.length > 0;
  const context = contextOf(factors).map(factorText);
  const sep = state.lang === "zh" ? "，" : ", ";
  $("context").textContent = context.length ? t("context_line", { facts: context.join(sep) }) : "";
}

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// A small sparkline of the risk in each stored batch; its words are in #trend-text too.
function renderTrend(points) {
  const box = $("trend");
  box.replaceChildren();
  if (!points.length) return;
  const first = points[0];
  const last = points[points.length - 1];
  const words =
    points.length === 1
      ? t("trend_one", { risk: pct(last.risk), date: last.as_of })
      : t("trend_text", { from: pct(first.risk), d1: first.as_of, to: pct(last.risk), d2: last.as_of });
  $("trend-text").textContent = words;
  const [w, h, padX, padTop, padBottom] = [320, 96, 24, 14, 22];
  const top = Math.max(0.05, ...points.map((p) => p.risk)) * 1.15;
  const x = (i) => (points.length === 1 ? w / 2 : padX + (i * (w - 2 * padX)) / (points.length - 1));
  const y = (r) => padTop + (1 - r / top) * (h - padTop - padBottom);
  const chart = svg("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": `${t("trend_heading")}: ${words}` });
  chart.append(svg("line", { class: "axis", x1: padX, x2: w - padX, y1: y(0), y2: y(0) }));
  if (points.length > 1) {
    chart.append(svg("polyline", { class: "line", points: points.map((p, i) => `${x(i)},${y(p.risk)}`).join(" ") }));
  }
  points.forEach((p, i) => {
    const isLast = i === points.length - 1;
    chart.append(svg("circle", { class: isLast ? "dot last" : "dot", cx: x(i), cy: y(p.risk), r: isLast ? 5 : 3.5 }));
  });
  chart.append(svg("text", { x: x(points.length - 1), y: Math.max(11, y(last.risk) - 8), "text-anchor": "end" }, pct(last.risk)));
  chart.append(svg("text", { x: padX, y: h - 5, "text-anchor": "start" }, first.as_of));
  if (points.length > 1) chart.append(svg("text", { x: w - padX, y: h - 5, "text-anchor": "end" }, last.as_of));
  box.append(chart);
}

function renderVisits() {
  const visits = state.card.visits;
  $("no-visits").hidden = visits.length > 0;
  $("visits").replaceChildren(
    ...visits.map((v) => {
      const item = el("li", { "data-visit": String(v.id) });
      item.append(
        el("span", { text: `${v.date} · ${v.visitor} · ` }),
        el("span", { class: "outcome", text: t(`outcome_${v.outcome}`) }),
      );
      if (v.notes) item.append(el("span", { class: "visit-notes", text: v.notes }));
      return item;
    }),
  );
}

function today() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

function resetVisitForm() {
  $("visit-form").reset();
  $("v-date").value = today();
  $("v-date").max = today();
  $("v-visitor").value = state.me?.name || "";
  $("visit-error").hidden = true;
}

async function recordVisit(event) {
  event.preventDefault();
  const id = state.card.student.student_id;
  const form = new FormData($("visit-form"));
  const body = JSON.stringify({
    date: form.get("date"),
    visitor: String(form.get("visitor")).trim(),
    outcome: form.get("outcome"),
    notes: String(form.get("notes") || ""),
  });
  const visitsApi = studentApi(id, state.card.student.county, "/visits");
  const response = await api(visitsApi, { method: "POST", body });
  if (!response.ok) {
    const detail = await response.json().catch(() => ({}));
    const why = Array.isArray(detail.detail)
      ? detail.detail.map((d) => d.msg).join("; ")
      : detail.detail || `HTTP ${response.status}`;
    $("visit-error").textContent = t("save_failed", { why });
    $("visit-error").hidden = false;
    return;
  }
  state.card.visits = await apiJson(visitsApi);
  if (state.list) state.list.lastVisits[id] = state.card.visits.at(-1)?.date;
  renderVisits();
  resetVisitForm();
  status("saved");
  $("visits-h").focus();
}

// ---- wiring ------------------------------------------------------------------------------

function onNavClick(event) {
  const link = event.target.closest("a[data-nav]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
}

function start() {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved && saved !== state.lang && state.i18n[saved]) state.lang = saved;
  applyStaticTexts();
  $("signin-form").addEventListener("submit", (e) => signIn(e).catch(() => status("error")));
  $("token-form").addEventListener("submit", (e) => signInWithToken(e).catch(() => status("error")));
  $("token-show").addEventListener("change", () => {
    $("token").type = $("token-show").checked ? "text" : "password";
  });
  $("signout").addEventListener("click", () => signOut());
  $("lang-switch").addEventListener("click", () => setLang(state.lang === "zh" ? "en" : "zh"));
  $("filter-form").addEventListener("submit", applyFilters);
  $("clear-filters").addEventListener("click", () => navigate("/"));
  $("search-form").addEventListener("submit", search);
  $("vl-form").addEventListener("submit", applyVisitListFilters);
  $("vl-print").addEventListener("click", () => window.print());
  $("more").addEventListener("click", () => loadMore().catch(() => status("error")));
  $("ne-more").addEventListener("click", () => moreNotEnrolled().catch(() => status("error")));
  $("visit-form").addEventListener("submit", (e) => recordVisit(e).catch(() => status("error")));
  document.addEventListener("click", onNavClick);
  window.addEventListener("popstate", route);
  route();
}

start();
