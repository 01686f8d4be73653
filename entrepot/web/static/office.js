// The data office: every project request (approve, amend a field with a comment, or refuse) and
// every extract with its k-anonymity (approve one that reaches the threshold, or refuse).
"use strict";

(() => {
  const { api, el, fmt, showError, t } = entrepot;
  const $ = (id) => document.getElementById(id);
  const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
  const unscoped = { query: { project: "" } };

  const { rows, state, steps } = entrepot.steps;

  function perimeter(r) {
    const parts = [];
    if (r.cohort_id !== null) parts.push(t("admin.perimeter_cohort", { id: r.cohort_id }));
    parts.push(r.domains ? r.domains.join(", ") : t("admin.all_tables"));
    if (r.start || r.end) parts.push(`${r.start || "…"} – ${r.end || "…"}`);
    return parts.join("; ");
  }

  function pending(select, items, id, label) {
    const open = items.filter((i) => i.state === "pending");
    select.replaceChildren(...open.map((i) => el("option", { value: i[id] }, label(i))));
  }

  async function loadRequests() {
    const found = await api("/api/requests/queue", unscoped);
    rows($("of-requests"), found, (r) => [String(r.request_id), r.name, r.requested_by, r.summary, r.legal_basis,
      perimeter(r), r.members.join(", "), state(r.state), steps(r.steps)], t("rq.none"));
    pending($("of-request"), found, "request_id", (r) => `#${r.request_id} ${r.name}`);
  }

  async function loadExtracts() {
    const found = await api("/api/extracts/queue", unscoped);
    rows($("of-extracts"), found, (e) => [String(e.extract_id), e.project, e.requested_by,
      Object.entries(e.columns).map(([table, columns]) => `${table}: ${columns.join(", ")}`).join("; "),
      e.kanon.quasi_identifiers.join(", ") || "—",
      el("span", { "data-k": e.kanon.k, "data-reached": String(e.kanon.reached) },
        t("of.k_of", { k: fmt(e.kanon.k), required: fmt(e.kanon.required) })),
      fmt(e.kanon.groups), t("of.below_of", { below: fmt(e.kanon.persons_below_k), persons: fmt(e.kanon.persons) }),
      state(e.state)], t("ex.none"));
    pending($("of-extract"), found, "extract_id", (e) => `#${e.extract_id} ${e.project}`);
  }

  // The amended field's value, typed as the API takes it.
  function value(field, text) {
    if (field === "domains" || field === "members") return list(text);
    if (field === "cohort_id") return text === "" ? null : Number(text);
    if (field === "start" || field === "end") return text || null;
    return text;
  }

  function decide(button, path, body, where, reload) {
    button.addEventListener("click", async () => {
      const id = path();
      if (!id) return;
      try {
        await api(id, { ...unscoped, method: "POST", body: body() });
        where.replaceChildren(el("p", { class: "muted" }, t("of.done")));
        await reload();
      } catch (err) { showError(where, err); }
    });
  }

  document.addEventListener("entrepot:ready", () => {
    const request = () => $("of-request").value && `/api/requests/${$("of-request").value}`;
    const extract = () => $("of-extract").value && `/api/extracts/${$("of-extract").value}`;
    const comment = () => ({ comment: $("of-comment").value.trim() || null });
    const reload = () => loadRequests();
    decide($("of-approve"), () => request() && `${request()}/approve`, comment, $("of-status"), reload);
    decide($("of-refuse"), () => request() && `${request()}/refuse`, comment, $("of-status"), reload);
    decide($("of-amend"), () => request() && `${request()}/amend`, () => ({
      comment: $("of-comment").value.trim(), [$("of-field").value]: value($("of-field").value, $("of-value").value.trim()) }),
    $("of-status"), reload);
    const said = () => ({ comment: $("of-extract-comment").value.trim() || null });
    decide($("of-extract-approve"), () => extract() && `${extract()}/approve`, said, $("of-extract-status"), loadExtracts);
    decide($("of-extract-refuse"), () => extract() && `${extract()}/refuse`, said, $("of-extract-status"), loadExtracts);
    loadRequests().catch((err) => showError($("of-status"), err));
    loadExtracts().catch((err) => showError($("of-extract-status"), err));
  });
})();
