// Administration: users, projects and members, the audit log and its chain,
// opt-out (objections are sealed for the key holder and listed as pending).
"use strict";

(() => {
  const { api, el, fmt, showError, t } = entrepot;
  const $ = (id) => document.getElementById(id);
  const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

  function status(form, text) {
    form.querySelector(".admin-status").replaceChildren(el("p", { class: "muted" }, text));
  }

  function rows(table, items, cells, empty) {
    const body = table.tBodies[0];
    const span = table.tHead.rows[0].cells.length;
    body.replaceChildren(...(items.length
      ? items.map((item) => el("tr", {}, cells(item).map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c)))))
      : [el("tr", {}, el("td", { colspan: span, class: "muted" }, empty))]));
  }

  function options(select, values) {
    const kept = select.value;
    select.replaceChildren(...values.map((v) => el("option", { value: v }, v)));
    if (values.includes(kept)) select.value = kept;
  }

  async function loadUsers() {
    const users = await api("/api/admin/users");
    rows($("users"), users, (u) => [u.name, t(`role.${u.role}`), u.projects.join(", ") || "—"], t("admin.no_user"));
    options($("member-user"), users.map((u) => u.name));
  }

  let sites = [], units = null; // the care-site hierarchy; the project form's unit picker
  let editing = null; // the project whose units and mode the edit form changes

  function perimeter(p) {
    const parts = [];
    if (p.cohort_id !== null) parts.push(t("admin.perimeter_cohort", { id: p.cohort_id }));
    parts.push(p.domains ? p.domains.join(", ") : t("admin.all_tables"));
    if (p.start || p.end) parts.push(`${p.start || "…"} – ${p.end || "…"}`);
    if (p.units) parts.push(careSites.names(sites, p.units).join(", "));
    if (p.mode === "care") parts.push(t("admin.mode_care_short"));
    return parts.join("; ");
  }

  async function loadUnits() {
    sites = await careSites.load();
    units = careSites.picker(sites, [], () => {}, { label: t("units.label"), id: "project-units" });
    $("project-units-place").replaceChildren(units.element);
  }

  async function loadProjects() {
    const projects = await api("/api/admin/projects");
    rows($("projects"), projects, (p) => [p.name, perimeter(p),
      el("td", { class: "n" }, p.mask_below ?? t("admin.default")), p.members.join(", ") || "—",
      el("button", { type: "button", onclick: () => edit(p) }, t("admin.edit_units", { name: p.name }))], t("admin.no_project"));
    options($("member-project"), projects.map((p) => p.name));
  }

  // The edit form of a project's units and mode, its picker checked with the project's units.
  function edit(p) {
    editing = p.name;
    const form = $("edit-project");
    form.querySelector("h3").textContent = t("admin.edit_title", { name: p.name });
    const picker = careSites.picker(sites, p.units || [], () => {}, { label: t("units.label"), id: "edit-units" });
    $("edit-units-place").replaceChildren(picker.element);
    form.picker = picker;
    $("edit-mode").value = p.mode;
    form.querySelector(".admin-status").replaceChildren();
    form.hidden = false;
    picker.element.querySelector("summary").focus();
  }

  async function loadAudit() {
    const query = { project: "", user: $("audit-user").value.trim(), action: $("audit-action").value.trim(), limit: $("audit-limit").value || 100 };
    const entries = await api("/api/admin/audit", { query });
    rows($("audit"), entries, (e) => [el("td", { class: "n" }, e.seq), e.at.replace("T", " "), e.user, e.action,
      e.project || "—", el("td", { class: "admin-params" }, JSON.stringify(e.parameters))], t("admin.no_entry"));
  }

  async function loadOptouts() {
    const optouts = await api("/api/admin/optout");
    rows($("optout"), optouts, (o) => [String(o.person_id), o.added_at.replace("T", " "), o.added_by,
      el("button", { type: "button", class: "secondary", "aria-label": t("admin.withdraw_label", { id: o.person_id }),
        onclick: () => withdraw(o.person_id) }, t("admin.withdraw"))], t("admin.no_optout"));
  }

  async function loadPending() {
    const pending = await api("/api/admin/optout/pending");
    rows($("optout-pending"), pending, (r) => [r.request_id, r.requested_at.replace("T", " "), r.requested_by],
      t("admin.no_pending"));
  }

  async function withdraw(personId) {
    try {
      await api(`/api/admin/optout/${personId}`, { method: "DELETE" });
      await loadOptouts();
    } catch (err) { showError($("add-optout").querySelector(".admin-status"), err); }
  }

  // A form posts its JSON, then reloads what it changed; errors are shown beside it.
  function submit(form, send, reload) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const where = form.querySelector(".admin-status");
      try {
        status(form, await send());
        form.reset();
        await reload();
      } catch (err) { showError(where, err); }
    });
  }

  function wire() {
    submit($("add-user"), async () => {
      const u = await api("/api/admin/users", { method: "POST", body: {
        name: $("user-name").value.trim(), role: $("user-role").value, password: $("user-password").value, projects: list($("user-projects").value) } });
      return t("admin.user_added", { name: u.name, role: t(`role.${u.role}`) });
    }, () => Promise.all([loadUsers(), loadProjects()]));
    submit($("add-project"), async () => {
      const number = (v) => (v === "" ? null : Number(v));
      const domains = list($("project-domains").value);
      const p = await api("/api/admin/projects", { method: "POST", body: {
        name: $("project-name").value.trim(), cohort_id: number($("project-cohort").value),
        domains: domains.length ? domains : null, start: $("project-start").value || null,
        end: $("project-end").value || null, mask_below: number($("project-mask").value),
        units: units.chosen().length ? units.chosen() : null, mode: $("project-mode").value } });
      units.set([]);
      return t("admin.project_added", { name: p.name });
    }, loadProjects);
    $("edit-project").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      try {
        const p = await api(`/api/admin/projects/${encodeURIComponent(editing)}`, { method: "PATCH",
          body: { units: form.picker.chosen(), mode: $("edit-mode").value } });
        status(form, t("admin.project_changed", { name: p.name }));
        await loadProjects();
      } catch (err) { showError(form.querySelector(".admin-status"), err); }
    });
    $("edit-cancel").addEventListener("click", () => { $("edit-project").hidden = true; });
    submit($("add-member"), async () => {
      const m = await api(`/api/admin/projects/${encodeURIComponent($("member-project").value)}/members`, {
        method: "POST", body: { user: $("member-user").value } });
      return t("admin.member_added", { user: m.user, project: m.project });
    }, () => Promise.all([loadUsers(), loadProjects()]));
    submit($("add-optout"), async () => {
      const r = await api("/api/admin/optout", { method: "POST", body: { ipps: list($("optout-ipps").value) } });
      return t("admin.optout_requested", { n: fmt(r.pending) });
    }, loadPending);
    $("audit-filter").addEventListener("submit", (event) => {
      event.preventDefault();
      loadAudit().catch((err) => showError($("verify-result"), err));
    });
    $("verify-audit").addEventListener("click", async () => {
      const out = $("verify-result");
      out.replaceChildren(t("admin.verifying"));
      try {
        const v = await api("/api/admin/audit/verify");
        out.replaceChildren(v.ok
          ? el("span", { class: "admin-ok", "data-ok": "true" }, t("admin.chain_ok", { n: fmt(v.entries) }))
          : el("span", { class: "error", "data-ok": "false", "data-first-bad": v.first_bad },
            t("admin.chain_broken", { bad: fmt(v.first_bad), n: fmt(v.entries) })));
      } catch (err) { showError(out, err); }
    });
  }

  function wireText() {
    $("process-text").addEventListener("click", async () => {
      const out = $("verify-result");
      try {
        const { job } = await api("/api/admin/text", { method: "POST" });
        const done = await entrepot.wait(job, (j) => out.replaceChildren(t("admin.text_progress", { message: j.message })), { project: "" });
        out.replaceChildren(el("span", { "data-text-done": "true" },
          t("admin.text_done", { processed: fmt(done.note_nlp.processed ?? 0), indexed: fmt(done.index.indexed ?? 0) })));
      } catch (err) { showError(out, err); }
    });
  }

  document.addEventListener("entrepot:ready", () => {
    wire();
    wireText();
    for (const load of [loadUsers, loadAudit, loadOptouts, loadPending]) {
      load().catch((err) => showError($("verify-result"), err));
    }
    loadUnits().then(loadProjects).catch((err) => showError($("verify-result"), err));
  });
})();
