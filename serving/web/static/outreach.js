// School-age children of the caller's scope whom no school lists (the latest `reconcile`
// run, GET /v1/not-enrolled): name, township, village, age, as a list to visit.
// Loaded before page.js, whose helpers ($, t, el, apiJson, show, state) it uses when called.
"use strict";

const NOT_ENROLLED_PAGE = 100;

async function openNotEnrolled() {
  show("notenrolled-view");
  state.notEnrolled = { rows: [], total: 0, asOf: null };
  $("ne-sub").textContent = t("loading");
  await moreNotEnrolled();
  $("ne-h").focus();
}

async function moreNotEnrolled() {
  const list = state.notEnrolled;
  const params = new URLSearchParams({ limit: NOT_ENROLLED_PAGE, offset: list.rows.length });
  const page = await apiJson(`/v1/not-enrolled?${params}`);
  list.rows.push(...page.children);
  list.total = page.total;
  list.asOf = page.as_of;
  renderNotEnrolled();
}

function renderNotEnrolled() {
  const { rows, total, asOf } = state.notEnrolled;
  const label = (key) => ({ "data-label": t(key) });
  $("ne-body").replaceChildren(
    ...rows.map((c) =>
      el(
        "tr",
        { "data-child": "" },
        el("td", { class: "student lead", text: c.name || t("no_name") }),
        el("td", { class: "pair", ...label("township"), text: c.township || t("unknown") }),
        el("td", { class: "pair", ...label("village"), text: c.village || t("unknown") }),
        el("td", { class: "pair num", ...label("col_age"), text: c.age == null ? t("unknown") : t("age_n", { n: c.age }) }),
      ),
    ),
  );
  $("ne-sub").textContent = asOf ? t("not_enrolled_sub", { date: asOf, n: total }) : "";
  $("ne-table").hidden = rows.length === 0;
  $("ne-empty").hidden = rows.length > 0;
  $("ne-empty").textContent = t("not_enrolled_none");
  $("ne-more").hidden = rows.length >= total;
}
