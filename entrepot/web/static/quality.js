// Data quality: the last run's checks by category, failing ones first, the passing ones folded.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el, fmt, t } = entrepot;
  const ORDER = ["fail", "error", "pass", "not_applicable"];

  const badge = (status) => el("span", { class: `badge q-${status}` }, t(`quality.status.${status}`));
  const count = (n) => (n === null || n === undefined ? "–" : fmt(n));
  const percent = (p) => (typeof p === "number" ? p.toLocaleString(entrepot.locale, { maximumFractionDigits: 2 }) : count(p));

  function table(checks, label) {
    const head = [t("quality.col.status"), t("quality.col.check"), t("quality.col.place"), t("quality.col.violating"),
      t("quality.col.rows"), t("quality.col.percent"), t("quality.col.threshold")];
    return el("div", { class: "q-scroll", tabindex: "0", role: "region", "aria-label": label },
      el("table", { class: "q-table" },
        el("thead", {}, el("tr", {}, head.map((text, i) => el("th", { scope: "col", class: i >= 3 ? "n" : null }, text)))),
        el("tbody", {}, checks.map((c) => el("tr", { "data-check": c.id, "data-status": c.status },
          el("td", {}, badge(c.status)),
          el("td", {}, c.description, c.reason ? el("div", { class: "muted" }, c.reason) : null),
          el("td", {}, c.field ? `${c.table}.${c.field}` : c.table, c.about_persons ? el("div", { class: "muted" }, t("quality.persons")) : null),
          el("td", { class: "n" }, count(c.violating_rows)),
          el("td", { class: "n" }, count(c.rows)),
          el("td", { class: "n" }, percent(c.violating_percent)),
          el("td", { class: "n" }, `≤ ${percent(c.threshold)}`))))));
  }

  function category(section, checks) {
    const name = t(`quality.category.${section.dataset.category}`);
    const sorted = [...checks].sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status) || a.id.localeCompare(b.id));
    const open = sorted.filter((c) => c.status === "fail" || c.status === "error");
    const folded = sorted.filter((c) => !open.includes(c));
    const parts = [open.length ? table(open, t("quality.failing_in", { category: name })) : el("p", { class: "q-none" }, t("quality.none_failing"))];
    if (folded.length) {
      parts.push(el("details", {}, el("summary", {}, t("quality.show_others", { n: fmt(folded.length) })), table(folded, t("quality.others_in", { category: name }))));
    }
    section.querySelector(".q-checks").replaceChildren(...parts);
  }

  async function load() {
    try {
      const q = await entrepot.api("/api/quality");
      $("quality-error").replaceChildren();
      $("quality-run").textContent = q.checked_at ? t("quality.run", { at: q.checked_at.replace("T", " "), checks: fmt(q.checks.length) }) : t("quality.no_run");
      for (const row of document.querySelectorAll("#quality-summary tbody tr")) {
        for (const cell of row.querySelectorAll("td")) cell.textContent = fmt(q.summary[row.dataset.category][cell.dataset.status]);
      }
      for (const section of document.querySelectorAll(".q-category")) category(section, q.checks.filter((c) => c.category === section.dataset.category));
    } catch (e) {
      $("quality-run").textContent = "";
      entrepot.showError($("quality-error"), e);
    }
  }

  document.addEventListener("entrepot:ready", load);
  document.addEventListener("entrepot:project", load);
})();
