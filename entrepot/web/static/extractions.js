// Structured extraction: a shipped schema read from a saved cohort's reports (in the background,
// for those who may write the warehouse), then per field the patients with each value (masked by
// the API), and for those who may read notes each report with the evidence of its fields marked.
// The server sends the text escaped with <mark> around evidence; it is decoded into text here,
// never parsed as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el, fmt, t } = entrepot;
  const PAGE = 10;
  const MARK = /(<mark data-fields="[a-z0-9_ ]*">[^<]*<\/mark>)/;
  const VALUES = { true: t("x.true"), false: t("x.false"), null: t("x.null"), stated: t("x.stated") };
  let shown = null; // the query of the results shown: {schema, cohort, note_title}

  async function loadCohorts() {
    try {
      const cohorts = await entrepot.api("/api/cohorts");
      $("x-cohort").replaceChildren(...cohorts.map((c) => el("option", { value: c.id }, `${c.name} (${fmt(c.persons)})`)));
    } catch (e) {
      entrepot.showError($("x-error"), e);
    }
  }

  function progress(fraction, message) {
    const bar = $("x-progress");
    bar.firstElementChild.style.width = `${Math.round(fraction * 100)}%`;
    bar.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
    $("x-status").textContent = message;
  }

  function asked() {
    const titles = $("x-titles").value.split(",").map((s) => s.trim()).filter(Boolean);
    return { schema: $("x-schema").value, cohort: $("x-cohort").value, note_title: titles };
  }

  function marked(html) {
    const text = el("p", { class: "x-text" });
    html.split(MARK).forEach((part) => {
      const m = part.match(/^<mark data-fields="([a-z0-9_ ]*)">([^<]*)<\/mark>$/);
      text.append(m ? el("mark", { "data-fields": m[1], title: m[1] }, entrepot.entity(m[2])) : entrepot.entity(part));
    });
    return text;
  }

  const value = (v) => (v === null || v === undefined ? VALUES.null : VALUES[String(v)] ?? String(v));

  function counts(r) {
    const keys = [...new Set(Object.values(r.fields).flatMap(Object.keys))];
    const head = el("tr", {}, el("th", {}, t("x.field")), keys.map((k) => el("th", { class: "n" }, VALUES[k] ?? k)));
    const rows = Object.entries(r.fields).map(([name, cells]) =>
      el("tr", {}, el("th", { scope: "row" }, name), keys.map((k) => el("td", { class: "n" }, k in cells ? fmt(cells[k]) : ""))));
    $("x-counts").replaceChildren(
      el("h2", {}, t("x.counts")),
      el("p", {}, t("x.read", { persons: fmt(r.persons), notes: fmt(r.notes), backend: r.backend, model: r.model ?? "" })),
      el("p", { class: "muted" }, t("x.persons_per_value"), " ", r.mask_below > 1 ? t("x.masked", { n: r.mask_below }) : ""),
      el("table", { id: "x-table" }, el("thead", {}, head), el("tbody", {}, rows)));
    $("x-counts").hidden = false;
  }

  function note(n) {
    const values = Object.entries(n.fields).map(([name, v]) =>
      el("li", {}, el("strong", {}, name), " : ", value(v), name in n.evidence ? "" : el("span", { class: "muted" }, ` (${t("x.no_evidence")})`)));
    return el("article", { class: "x-note", "data-note": n.note_id },
      el("h3", {}, t("x.note", { id: n.note_id, person: n.person_id, date: n.note_date, title: n.note_title ?? "" })),
      el("ul", { class: "x-values" }, values), marked(n.html));
  }

  async function notes(offset) {
    const box = $("x-notes");
    box.hidden = false;
    try {
      const r = await entrepot.api("/api/extractions/notes", { query: { ...shown, limit: PAGE, offset } });
      const last = Math.min(offset + r.notes.length, r.total);
      const pager = el("div", { class: "row" },
        el("button", { type: "button", class: "secondary", id: "x-prev", disabled: offset === 0, onclick: () => notes(Math.max(0, offset - PAGE)) }, t("x.prev")),
        el("span", { class: "muted" }, r.total ? t("x.range", { first: offset + 1, last, total: r.total }) : ""),
        el("button", { type: "button", class: "secondary", id: "x-next", disabled: last >= r.total, onclick: () => notes(offset + PAGE) }, t("x.next")));
      box.replaceChildren(el("h2", {}, t("x.notes")), r.total ? "" : el("p", { class: "muted" }, t("x.none")), ...r.notes.map(note), pager);
    } catch (e) {
      entrepot.showError(box, e);
    }
  }

  async function show() {
    $("x-error").replaceChildren();
    shown = asked();
    try {
      const r = await entrepot.api("/api/extractions", { query: shown });
      counts(r);
      if (r.notes_allowed) await notes(0);
      else {
        $("x-notes").hidden = false;
        $("x-notes").replaceChildren(el("h2", {}, t("x.notes")), el("p", { class: "muted" }, t("x.counts_only")));
      }
    } catch (e) {
      entrepot.showError($("x-error"), e);
    }
  }

  async function run(event) {
    event.preventDefault();
    $("x-error").replaceChildren();
    $("x-run").disabled = true;
    progress(0.05, t("x.step_start"));
    const { schema, cohort, note_title } = asked();
    const body = { schema, cohort: Number(cohort), note_titles: note_title.length ? note_title : null };
    try {
      const started = await entrepot.api("/api/extractions", { method: "POST", body });
      const r = await entrepot.wait(started.job, (job) => progress(Math.max(0.05, job.progress), t("x.step_start")));
      progress(1, t("x.done", { extracted: fmt(r.extracted), skipped: fmt(r.skipped) }));
      await show();
    } catch (e) {
      progress(0, "");
      entrepot.showError($("x-error"), e);
    } finally {
      $("x-run").disabled = false;
    }
  }

  $("x-form").addEventListener("submit", (e) => ($("x-run") ? run(e) : (e.preventDefault(), show())));
  $("x-show").addEventListener("click", show);
  document.addEventListener("entrepot:ready", loadCohorts);
  document.addEventListener("entrepot:project", loadCohorts);
})();
