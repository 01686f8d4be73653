// The cohort builder: concept sets from the vocabulary, entry, criteria, exit;
// count in the background; saved cohorts with Table 1, export and delete.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el, fmt, t } = entrepot;
  const sets = [{ name: t("co.set_name", { n: 1 }), items: [] }]; // concept sets: {name, items: [{vocabulary, code, label, domain, descendants}]}
  let suggestions = [];
  let searchTimer = null;

  // -- concept sets ---------------------------------------------------------
  function setOptions(select, withAny) {
    const kept = select.value;
    const options = (withAny ? [el("option", { value: "" }, t("co.any_set"))] : []).concat(
      sets.map((s) => el("option", { value: s.name }, `${s.name} (${s.items.length})`)));
    select.replaceChildren(...options);
    if ([...select.options].some((o) => o.value === kept)) select.value = kept;
  }

  function renderSets() {
    setOptions($("concept-set"), false);
    document.querySelectorAll(".co-set-choice").forEach((s) => setOptions(s, s.id === "entry-concept-set"));
    $("concept-sets").replaceChildren(...sets.map((s) => el("div", { class: "co-set" },
      el("h3", {}, s.name),
      s.items.length ? el("ul", {}, s.items.map((item, i) => el("li", {},
        `${item.vocabulary} ${item.code} — ${item.label}${item.descendants ? t("co.and_descendants") : ""} `,
        el("button", { type: "button", class: "link", "aria-label": t("co.remove_label", { code: item.code, set: s.name }),
          onclick: () => { s.items.splice(i, 1); renderSets(); fitAll(); } }, t("co.remove")))))
        : el("p", { class: "muted" }, t("co.no_code")))));
  }

  async function search() {
    const q = $("concept-search").value.trim();
    if (!q) { $("concept-suggestions").replaceChildren(); $("add-concept").disabled = true; return; }
    try {
      suggestions = await entrepot.api("/api/vocabulary", { query: { q, vocabulary: $("concept-vocabulary").value, limit: 20, project: "" } });
      $("concept-suggestions").replaceChildren(...suggestions.map((c, i) =>
        el("option", { value: i }, `${c.vocabulary_id} ${c.concept_code} — ${c.concept_name}${c.standard_concept === "S" ? "" : t("co.classification")}`)));
      if (suggestions.length) $("concept-suggestions").selectedIndex = 0;
      $("add-concept").disabled = !suggestions.length;
    } catch (e) {
      entrepot.showError($("cohort-error"), e);
    }
  }

  function addConcept() {
    const c = suggestions[$("concept-suggestions").selectedIndex];
    if (!c) return;
    const set = sets.find((s) => s.name === $("concept-set").value) || sets[0];
    if (!set.items.some((i) => i.vocabulary === c.vocabulary_id && i.code === c.concept_code))
      set.items.push({ vocabulary: c.vocabulary_id, code: c.concept_code, label: c.concept_name, domain: c.domain_id, descendants: $("concept-descendants").checked });
    renderSets();
    if (!$("entry-concept-set").value) $("entry-concept-set").value = set.name;
    fitAll();
  }

  function newSet() {
    const name = t("co.set_name", { n: sets.length + 1 });
    sets.push({ name, items: [] });
    renderSets();
    $("concept-set").value = name;
  }

  // -- the domain of an event follows its concept set ------------------------
  // A concept's OMOP domain says which table holds it: a CIM-10 code is a condition (an
  // observation in chapters XX-XXI), an ATC code a drug, a LOINC test a measurement.
  const EVENT_DOMAIN = { Condition: "condition", Drug: "drug", Measurement: "measurement", Procedure: "procedure", Observation: "observation", Visit: "visit" };
  // Event domains that read another table's concepts: eras of conditions and drugs; reports mention any.
  const READS = { condition_era: "condition", drug_era: "drug" };

  // The event domains of a concept set's concepts (one, unless the set mixes them).
  function domainsOf(name) {
    const set = sets.find((s) => s.name === name);
    return set ? [...new Set(set.items.map((i) => EVENT_DOMAIN[i.domain]).filter(Boolean))] : [];
  }

  // Why an event cannot count its concept set, or null: a set that mixes domains, or one
  // whose concepts are not in the event's table.
  function misfit(domain, setName) {
    const found = domainsOf(setName);
    if (!setName || domain === "note_mention" || !found.length) return null;
    const names = found.map((d) => t(`domain.${d}`)).join(", ");
    if (found.length > 1) return t("co.mixed_domains", { set: setName, domains: names });
    if ((READS[domain] || domain) !== found[0]) return t("co.wrong_domain", { set: setName, domain: t(`domain.${domain}`), found: names });
    return null;
  }

  // Set an event's domain from its concept set when the set has one domain and the event
  // cannot read it (an ATC code added to a diagnosis entry makes it a drug entry).
  function fit(domainSelect, setName) {
    const found = domainsOf(setName);
    if (found.length !== 1 || !misfit(domainSelect.value, setName)) return false;
    domainSelect.value = found[0];
    return true;
  }

  function fitAll() {
    const entry = $("entry-domain");
    if (fit(entry, $("entry-concept-set").value))
      $("entry-domain-note").textContent = t("co.domain_inferred", { domain: t(`domain.${entry.value}`), set: $("entry-concept-set").value });
    document.querySelectorAll(".co-criterion").forEach((li) => fit(li.querySelector(".crit-domain"), li.querySelector(".crit-set").value));
    showFields();
  }

  // The first event whose concept set it cannot count, as an error message (or null).
  function refused() {
    const events = [[$("entry-domain").value, $("entry-concept-set").value]];
    document.querySelectorAll(".co-criterion").forEach((li) => events.push([li.querySelector(".crit-domain").value, li.querySelector(".crit-set").value]));
    return events.map(([domain, set]) => misfit(domain, set)).find(Boolean) || null;
  }

  // -- criteria -------------------------------------------------------------
  const DOMAINS = ["condition", "drug", "measurement", "procedure", "observation", "visit", "note_mention", "condition_era", "drug_era"];
  let criterionIds = 0;

  function addCriterion() {
    const n = ++criterionIds;
    const field = (label, input) => el("div", {}, el("label", { for: input.id }, label), input);
    const li = el("li", { class: "row co-criterion" },
      field(t("co.crit_at_least"), el("input", { id: `crit-count-${n}`, class: "crit-count", type: "number", min: "0", value: "1" })),
      field(t("co.crit_of"), el("select", { id: `crit-domain-${n}`, class: "crit-domain" }, DOMAINS.map((d) => el("option", { value: d }, t(`domain.${d}`))))),
      field(t("co.crit_set"), el("select", { id: `crit-set-${n}`, class: "crit-set co-set-choice", onchange: fitAll })),
      field(t("co.crit_before"), el("input", { id: `crit-before-${n}`, class: "crit-before", type: "number", min: "0", value: "365" })),
      field(t("co.crit_after"), el("input", { id: `crit-after-${n}`, class: "crit-after", type: "number", min: "0", value: "0" })),
      el("button", { type: "button", class: "secondary", onclick: () => li.remove() }, t("co.remove_criterion")));
    $("criteria").append(li);
    renderSets();
  }

  // -- the definition -------------------------------------------------------
  const number = (id) => ($(id).value === "" ? null : Number($(id).value));

  function definition() {
    const used = sets.filter((s) => s.items.length);
    const domain = $("entry-domain").value, first = $("entry-occurrence").value === "first";
    const event = { domain };
    if ($("entry-concept-set").value) event.concept_set = $("entry-concept-set").value;
    if (first) event.first = true;
    const [low, high] = [number("entry-value-min"), number("entry-value-max")];
    if (["measurement", "observation"].includes(domain) && (low !== null || high !== null))
      event.value = Object.fromEntries([["gte", low], ["lte", high]].filter(([, v]) => v !== null));
    const rules = [];
    const [ageLow, ageHigh] = [number("age-min"), number("age-max")];
    if (ageLow !== null || ageHigh !== null) {
      const age = Object.fromEntries([["gte", ageLow], ["lte", ageHigh]].filter(([, v]) => v !== null));
      rules.push({ name: t("co.rule_age", { low: ageLow ?? 0, high: ageHigh ?? t("any") }), criteria: { demographics: [{ age }] } });
    }
    if ($("sex").value) rules.push({ name: t("co.rule_sex", { sex: t(`sex.${$("sex").value}`) }), criteria: { demographics: [{ gender: [$("sex").value] }] } });
    document.querySelectorAll(".co-criterion").forEach((li) => {
      const get = (cls) => li.querySelector(`.${cls}`).value;
      const count = Number(get("crit-count")), before = Number(get("crit-before")), after = Number(get("crit-after"));
      const ev = { domain: get("crit-domain") };
      if (get("crit-set")) ev.concept_set = get("crit-set");
      rules.push({
        name: t("co.rule_criterion", { count, domain: t(`domain.${ev.domain}`), set: ev.concept_set || t("co.any_set"), before, after }),
        criteria: { criteria: [{ event: ev, window: { start: -before, end: after }, occurrence: { type: "at_least", count } }] },
      });
    });
    const exit = $("exit-strategy").value === "offset" ? { offset: { date: "start", days: number("exit-days") ?? 0 } } : {};
    return {
      name: $("cohort-name").value.trim(),
      concept_sets: Object.fromEntries(used.map((s) => [s.name, {
        items: s.items.map((i) => ({ vocabulary: i.vocabulary, code: i.code, descendants: i.descendants })) }])),
      entry: { events: [event], limit: first ? "first" : "all" },
      inclusion_rules: rules,
      exit,
    };
  }

  // -- running --------------------------------------------------------------
  function progress(fraction, message) {
    const bar = $("cohort-progress");
    bar.firstElementChild.style.width = `${Math.round(fraction * 100)}%`;
    bar.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
    $("cohort-status").textContent = message;
  }

  async function count(body, query = {}) {
    $("cohort-error").replaceChildren();
    $("count-button").disabled = $("import-button").disabled = true;
    progress(0.05, t("co.starting"));
    try {
      const started = await entrepot.api("/api/cohorts", { method: "POST", body, query });
      const r = await entrepot.wait(started.job, (job) => progress(Math.max(0.05, job.progress), job.state === "queued" ? t("co.queued") : t("co.generating")),
        { project: query.project ?? entrepot.project() });
      progress(1, t("co.saved_as", { id: r.cohort_definition_id }));
      $("cohort-count").textContent = fmt(r.count);
      $("cohort-entries").textContent = fmt(r.entries);
      $("attrition").tBodies[0].replaceChildren(...r.attrition.map((s) => el("tr", {},
        el("td", {}, s.rule), el("td", { class: "n" }, fmt(s.persons)), el("td", { class: "n" }, fmt(s.entries)))));
      await loadSaved();
    } catch (e) {
      progress(0, "");
      entrepot.showError($("cohort-error"), e);
    } finally {
      $("count-button").disabled = $("import-button").disabled = false;
    }
  }

  function submit(event) {
    event.preventDefault();
    const why = refused();
    if (why) { entrepot.showError($("cohort-error"), new Error(why)); return; }
    count(definition());
  }

  function importCirce() {
    let data;
    try {
      data = JSON.parse($("import-circe").value);
    } catch (e) {
      entrepot.showError($("cohort-error"), new Error(t("co.circe_error", { message: e.message })));
      return;
    }
    const name = $("cohort-name").value.trim();
    count(data, name ? { name } : {});
  }

  // -- saved cohorts --------------------------------------------------------
  const mayExport = () => $("project").dataset.role !== "viewer";

  function actions(c) {
    const project = entrepot.project();
    const query = project ? `?project=${encodeURIComponent(project)}` : "";
    return el("td", { class: "co-actions" },
      el("button", { type: "button", class: "secondary describe", "data-id": c.id, onclick: () => describe(c) }, t("co.describe")),
      mayExport() ? el("a", { class: "patients", href: `/cohorts/${c.id}/patients${query}` }, t("co.patient_list")) : null,
      mayExport() ? el("a", { class: "export", href: `/api/cohorts/${c.id}/export${query}`, download: `cohort-${c.id}.csv` }, t("co.export")) : null,
      mayExport() ? el("button", { type: "button", class: "secondary delete", "data-id": c.id, onclick: () => remove(c) }, t("co.delete")) : null);
  }

  async function loadSaved() {
    $("saved-error").replaceChildren();
    try {
      const rows = await entrepot.api("/api/cohorts");
      $("saved-cohorts").tBodies[0].replaceChildren(...rows.map((c) => el("tr", { "data-id": c.id },
        el("td", { class: "n" }, c.id), el("td", {}, c.name), el("td", { class: "n" }, fmt(c.persons)),
        el("td", {}, c.generated || ""), actions(c))));
    } catch (e) {
      entrepot.showError($("saved-error"), e);
    }
  }

  async function remove(c) {
    if (!confirm(t("co.confirm_delete", { id: c.id, name: c.name }))) return;
    try {
      await entrepot.api(`/api/cohorts/${c.id}`, { method: "DELETE" });
      await loadSaved();
    } catch (e) {
      entrepot.showError($("saved-error"), e);
    }
  }

  function counts(title, entries) {
    return el("table", { class: "co-t1" }, el("caption", {}, title),
      el("tbody", {}, entries.map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", { class: "n" }, fmt(v))))));
  }

  function topTable(title, rows) {
    return el("table", { class: "co-t1" }, el("caption", {}, title),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("col.code")), el("th", { scope: "col" }, t("col.concept")), el("th", { scope: "col", class: "n" }, t("col.patients")))),
      el("tbody", {}, rows.map((r) => el("tr", {}, el("td", {}, r.code || r.concept_id), el("td", {}, r.name || ""), el("td", { class: "n" }, fmt(r.persons))))));
  }

  const SEXES = { female: t("sex.female"), male: t("sex.male"), "other or unknown": t("sex.other") }; // Table 1's keys

  async function describe(c) {
    const out = $("table-one");
    out.replaceChildren(el("p", { class: "muted" }, t("co.describing")));
    try {
      const one = await entrepot.api(`/api/cohorts/${c.id}/describe`);
      const age = one.age.mean === null ? t("co.age_hidden") : t("co.age_mean", { mean: one.age.mean, min: one.age.min, max: one.age.max });
      const parts = [
        el("p", {}, el("strong", {}, one.name), ` · ${t("co.t1_summary", { n: fmt(one.persons), age })}`),
        el("div", { class: "grid" }, counts(t("co.age_band"), Object.entries(one.age.bands)), counts(t("co.sex"), Object.entries(one.sex).map(([k, n]) => [SEXES[k] || k, n]))),
      ];
      const tops = [["conditions", t("top.diagnoses")], ["drugs", t("top.drugs")], ["labs", t("top.labs")]].filter(([k]) => one[k]);
      parts.push(el("div", { class: "grid" }, tops.map(([k, title]) => topTable(title, one[k]))));
      out.replaceChildren(...parts);
      $("table-one-card").scrollIntoView({ block: "nearest" });
    } catch (e) {
      entrepot.showError(out, e);
    }
  }

  // -- wiring ---------------------------------------------------------------
  function showFields() {
    const domain = $("entry-domain").value;
    document.querySelectorAll(".co-value").forEach((n) => n.classList.toggle("co-hidden", !["measurement", "observation"].includes(domain)));
    document.querySelectorAll(".co-offset").forEach((n) => n.classList.toggle("co-hidden", $("exit-strategy").value !== "offset"));
  }

  document.addEventListener("DOMContentLoaded", () => {
    renderSets();
    showFields();
    $("cohort-form").addEventListener("submit", submit);
    $("concept-search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 200); });
    $("concept-search").addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); clearTimeout(searchTimer); search(); }
      if (e.key === "ArrowDown" && suggestions.length) { e.preventDefault(); $("concept-suggestions").focus(); }
    });
    $("concept-vocabulary").addEventListener("change", search);
    $("concept-suggestions").addEventListener("dblclick", addConcept);
    $("concept-suggestions").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); addConcept(); } });
    $("add-concept").addEventListener("click", addConcept);
    $("new-concept-set").addEventListener("click", newSet);
    $("add-criterion").addEventListener("click", addCriterion);
    $("entry-domain").addEventListener("change", () => { $("entry-domain-note").textContent = ""; showFields(); });
    $("entry-concept-set").addEventListener("change", fitAll);
    $("exit-strategy").addEventListener("change", showFields);
    $("import-button").addEventListener("click", importCirce);
  });
  document.addEventListener("entrepot:ready", loadSaved);
  document.addEventListener("entrepot:project", loadSaved);
})();
