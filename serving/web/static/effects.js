// Did the visits work? The latest `dropout-risk effects` run (GET /v1/effects) in plain
// words: the doubly robust effect with its 95% interval and counts, the naive figure beside
// it with why it misleads, and the estimate by tier as a small inline SVG. No figure is
// shown without its interval; with no run, the page says so and claims nothing.
// Loaded before page.js, whose helpers ($, t, el, svg, api, show, state) it uses when called.
"use strict";

async function openEffects() {
  show("effects-view");
  const response = await api("/v1/effects");
  if (response.status === 404) state.effects = null;
  else if (!response.ok) throw new Error(`HTTP ${response.status}`);
  else state.effects = await response.json();
  renderEffects();
  $("ef-h").focus();
}

// Percentage points with one decimal; the sign says the direction.
const effectPoints = (share) => {
  const p = Math.round(share * 1000) / 10;
  return `${p > 0 ? "+" : p < 0 ? "−" : ""}${Math.abs(p).toFixed(1)}`;
};

const hasInterval = (e) => e && e.att != null && e.ci_low != null && e.ci_high != null;

function renderEffects() {
  const e = state.effects;
  const ok = hasInterval(e);
  $("ef-none").hidden = ok;
  $("ef-body").hidden = !ok;
  if (!ok) return;
  const months = Math.round((e.horizon_days ?? 180) / 30.4);
  const vars = {
    x: Math.abs(Math.round(e.att * 1000) / 10).toFixed(1),
    months,
    low: effectPoints(e.ci_low),
    high: effectPoints(e.ci_high),
    n: e.n_treated,
    m: e.n_control,
  };
  $("ef-summary").textContent = e.att < 0 ? t("effects_less", vars) : t("effects_more", vars);
  $("ef-unclear").hidden = !(e.ci_low <= 0 && e.ci_high >= 0);
  const n = e.naive;
  $("ef-naive").textContent = hasInterval(n)
    ? t("effects_naive", { att: effectPoints(n.att), low: effectPoints(n.ci_low), high: effectPoints(n.ci_high) })
    : "";
  const tiers = tierRows(e);
  $("ef-predicted").hidden = !tiers.some((g) => g.group !== "tier");
  $("ef-tiers").replaceChildren(
    ...tiers
      .filter((g) => !hasInterval(g))
      .map((g) => el("li", { text: t("effects_tier_few", { tier: tierName(g.value), n1: g.n_treated, n0: g.n_control }) })),
  );
  renderEffectsPlot([
    ...tiers.filter(hasInterval).map((g) => ({ ...g, label: `${tierName(g.value)} (${g.n_treated})` })),
    { ...e, label: `${t("effects_all")} (${e.n_treated})`, kind: "all" },
    ...(hasInterval(n) ? [{ ...n, label: t("effects_naive_label"), kind: "naive" }] : []),
  ]);
  const when = (e.computed_at || "").slice(0, 10);
  $("ef-basis").textContent = t("effects_basis", {
    counties: (e.counties || []).join("、"),
    snapshots: (e.snapshots || []).join(", "),
    date: when,
  });
}

const TIER_ORDER = { high: 0, medium: 1, low: 2 };

function tierRows(e) {
  return (e.by_group || [])
    .filter((g) => String(g.group).startsWith("tier"))
    .sort((a, b) => (TIER_ORDER[a.value] ?? 9) - (TIER_ORDER[b.value] ?? 9));
}

const tierName = (value) => (value in TIER_ORDER ? t(`tier_${value}`) : value);

// One row per estimate: a dot at the effect, a bar across its 95% interval, 0 dashed.
function renderEffectsPlot(rows) {
  const [w, rowH, left, right, top] = [360, 30, 150, 16, 10];
  const h = top + rows.length * rowH + 24;
  const lo = Math.min(0, ...rows.map((r) => r.ci_low));
  const hi = Math.max(0, ...rows.map((r) => r.ci_high));
  const pad = (hi - lo || 0.01) * 0.08;
  const x = (v) => left + ((v - lo + pad) / (hi - lo + 2 * pad)) * (w - left - right);
  const chart = svg("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": t("effects_plot_label") });
  chart.append(svg("line", { class: "axis", x1: x(0), x2: x(0), y1: top - 4, y2: h - 20, "stroke-dasharray": "4 3" }));
  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    const cls = r.kind === "naive" ? "line naive" : "line";
    chart.append(svg("text", { x: 4, y: y + 4, "text-anchor": "start" }, r.label));
    chart.append(svg("line", { class: cls, x1: x(r.ci_low), x2: x(r.ci_high), y1: y, y2: y, "data-ci": "" }));
    chart.append(svg("circle", { class: r.kind === "all" ? "dot last" : "dot", cx: x(r.att), cy: y, r: 4 }));
  });
  chart.append(svg("text", { x: x(lo), y: h - 5, "text-anchor": "start" }, effectPoints(lo)));
  chart.append(svg("text", { x: x(0), y: h - 5, "text-anchor": "middle" }, "0"));
  chart.append(svg("text", { x: x(hi), y: h - 5, "text-anchor": "end" }, effectPoints(hi)));
  $("ef-plot").replaceChildren(chart);
}
