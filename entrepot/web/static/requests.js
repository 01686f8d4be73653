// A researcher's requests: ask the data office for a project and follow each step and comment;
// within an approved project, ask for an extract of a cohort (tables and columns chosen), see
// whether it is k-anonymous, then produce it once the data office approved it.
"use strict";

(() => {
  const { api, el, fmt, showError, t } = entrepot;
  const $ = (id) => document.getElementById(id);
  const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
  const unscoped = { query: { project: "" } };

  const { rows, state, steps } = entrepot.steps;

  async function loadMine() {
    const mine = await api("/api/requests", unscoped);
    rows($("rq-mine"), mine, (r) => [String(r.request_id), r.name, state(r.state), steps(r.steps)], t("rq.none"));
  }

  async function ask(event) {
    event.preventDefault();
    const number = (v) => (v === "" ? null : Number(v));
    const domains = list($("rq-domains").value);
    try {
      const r = await api("/api/requests", { ...unscoped, method: "POST", body: {
        name: $("rq-name").value.trim(), summary: $("rq-summary").value.trim(), legal_basis: $("rq-basis").value,
        cohort_id: number($("rq-cohort").value), domains: domains.length ? domains : null,
        start: $("rq-start").value || null, end: $("rq-end").value || null, members: list($("rq-members").value) } });
      $("rq-status").replaceChildren(el("p", { class: "muted" }, t("rq.sent", { id: r.request_id })));
      $("rq-form").reset();
      await loadMine();
    } catch (err) { showError($("rq-status"), err); }
  }

  // The tables of the project's perimeter, each a group of column boxes (quasi-identifiers marked).
  async function loadColumns() {
    const [tables, quasi] = await Promise.all([api("/api/extracts/columns"), api("/api/extracts/quasi")]);
    $("ex-tables").replaceChildren(...Object.entries(tables).map(([table, columns]) =>
      el("details", { class: "ex-table" }, el("summary", {}, table),
        el("fieldset", {}, el("legend", {}, t("ex.columns_of", { table })), columns.map((column) => {
          const id = `ex-col-${table}-${column}`;
          const marked = (quasi[table] || []).includes(column);
          return el("div", {}, el("input", { type: "checkbox", id, "data-table": table, value: column }),
            el("label", { for: id }, column, marked ? ` (${t("ex.quasi")})` : ""));
        })))));
  }

  async function loadCohorts() {
    const cohorts = await api("/api/cohorts");
    $("ex-cohort").replaceChildren(...cohorts.map((c) => el("option", { value: c.id }, `${c.name} (${fmt(c.persons)})`)));
  }

  function files(e) {
    if (!e.files) return e.state === "approved"
      ? el("button", { type: "button", class: "produce", onclick: () => produce(e.extract_id) }, t("ex.produce")) : "—";
    return el("div", {}, el("p", { class: "muted" }, e.folder),
      el("ul", {}, e.files.map((f) => el("li", {}, t("ex.file", { file: f.file, rows: fmt(f.rows) })))));
  }

  async function loadExtracts() {
    const found = await api("/api/extracts");
    rows($("ex-list"), found, (e) => [String(e.extract_id),
      Object.entries(e.columns).map(([table, columns]) => `${table}: ${columns.join(", ")}`).join("; "),
      state(e.state), el("span", { "data-reached": String(e.reached) }, e.reached ? t("ex.reached") : t("ex.not_reached")),
      files(e), steps(e.steps)], t("ex.none"));
  }

  async function produce(id) {
    try {
      await api(`/api/extracts/${id}/produce`, { method: "POST" });
      await loadExtracts();
    } catch (err) { showError($("ex-status"), err); }
  }

  async function askExtract(event) {
    event.preventDefault();
    const columns = {};
    for (const box of $("ex-tables").querySelectorAll("input:checked")) {
      (columns[box.dataset.table] ||= []).push(box.value);
    }
    try {
      const e = await api("/api/extracts", { method: "POST", body: {
        cohort_id: Number($("ex-cohort").value), columns, format: $("ex-format").value } });
      $("ex-status").replaceChildren(el("p", { class: "muted" }, t("ex.sent", { id: e.extract_id })));
      await loadExtracts();
    } catch (err) { showError($("ex-status"), err); }
  }

  function loadProject() {
    if (!entrepot.project()) {
      $("ex-status").replaceChildren(el("p", { class: "muted" }, t("ex.no_project")));
      return;
    }
    Promise.all([loadColumns(), loadCohorts(), loadExtracts()]).catch((err) => showError($("ex-status"), err));
  }

  document.addEventListener("entrepot:ready", () => {
    $("rq-form").addEventListener("submit", ask);
    $("ex-form").addEventListener("submit", askExtract);
    loadMine().catch((err) => showError($("rq-status"), err));
    loadProject();
  });
  document.addEventListener("entrepot:project", loadProject);
})();
