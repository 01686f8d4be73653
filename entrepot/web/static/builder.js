// The logic builder: entry events, inclusion rules as nested groups (AND / OR / at least N) of
// criteria, exclusions, demographics and temporal constraints; counted live part by part
// (POST /api/cohorts/count), the definition kept in sync with its YAML both ways (the server
// parses and writes the YAML: the same model as the CLI); Circe export and import.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el, fmt, t } = entrepot;
  const DOMAINS = ["condition", "drug", "measurement", "procedure", "observation", "visit", "visit_detail",
    "death", "note_mention", "condition_era", "drug_era", "cohort"];
  const VALUES = ["measurement", "observation"];
  const UNITS = ["visit", "visit_detail"]; // stays in units: their care sites
  const GROUPS = ["all", "any", "at_least", "at_most"];
  let def = { name: "", concept_sets: {}, entry: { events: [{ condition: {} }] }, inclusion_rules: [] };
  let ids = 0, timer = null, asked = 0, saved = [], sites = []; // sites: the care-site hierarchy
  const unfolded = new WeakSet(); // the events whose unit picker is unfolded, kept so by a new render

  // -- events: {domain: {fields}} -------------------------------------------
  const domainOf = (event) => Object.keys(event)[0];
  const bodyOf = (event) => event[domainOf(event)];

  function codesText(body) {
    const set = body.concept_set && def.concept_sets[body.concept_set];
    return set ? set.items.map((i) => (i.concept_id ? String(i.concept_id) : `${i.vocabulary}:${i.code}`)).join(", ") : "";
  }

  function setCodes(body, text) {
    const items = text.split(/[,;\s]+/).filter(Boolean).map((code) => {
      const m = code.match(/^([A-Za-z0-9]+):(.+)$/);
      return m ? { vocabulary: m[1].toUpperCase(), code: m[2], descendants: true } : { concept_id: Number(code) };
    });
    if (!items.length) { delete body.concept_set; return; }
    if (!body.concept_set) {
      let n = Object.keys(def.concept_sets).length + 1;
      while (def.concept_sets[`c${n}`]) n += 1;
      body.concept_set = `c${n}`;
    }
    def.concept_sets[body.concept_set] = { items };
  }

  // Concept sets named by no event (left by a removed criterion) are dropped.
  function prune() {
    const used = new Set();
    const walk = (node) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object")
        for (const [k, v] of Object.entries(node)) {
          if (k !== "concept_sets" && k.endsWith("concept_set") && typeof v === "string") used.add(v);
          else walk(v);
        }
    };
    walk({ ...def, concept_sets: null });
    for (const name of Object.keys(def.concept_sets)) if (!used.has(name)) delete def.concept_sets[name];
  }

  // -- small form fields ------------------------------------------------------
  function field(label, input) {
    input.id = input.id || `lb-f${++ids}`;
    return el("div", {}, el("label", { for: input.id }, label), input);
  }

  function numberInput(value, onchange, cls) {
    return el("input", { type: "number", step: "any", class: cls, value: value ?? "", oninput: (e) => onchange(e.target.value === "" ? null : Number(e.target.value)) });
  }

  function check(label, checked, onchange, cls) {
    const input = el("input", { type: "checkbox", id: `lb-f${++ids}`, class: cls, checked, onchange: (e) => onchange(e.target.checked) });
    return el("label", { for: input.id }, input, ` ${label}`);
  }

  const badge = (path) => el("span", { class: "lb-n", "data-path": path }, "–");

  function removeButton(list, item) {
    return el("button", { type: "button", class: "secondary lb-remove", onclick: () => { list.splice(list.indexOf(item), 1); changed(true); } }, t("lb.remove"));
  }

  // Bounds of a range ({gte, lte}) edited as two numbers.
  function rangeFields(owner, key, low, high, cls) {
    const range = () => owner[key] || {};
    const set = (bound, v) => {
      const r = { ...range() };
      if (v === null) delete r[bound]; else r[bound] = v;
      if (Object.keys(r).length) owner[key] = r; else delete owner[key];
      changed();
    };
    return [field(low, numberInput(range().gte, (v) => set("gte", v), `${cls}-min`)),
      field(high, numberInput(range().lte, (v) => set("lte", v), `${cls}-max`))];
  }

  // -- an event: domain, codes and what its domain has ------------------------
  function eventEditor(holder, key) {
    const event = holder[key], domain = domainOf(event), body = bodyOf(event);
    const select = el("select", { class: "lb-domain", onchange: (e) => {
      const kept = {};
      if (body.concept_set && e.target.value !== "cohort") kept.concept_set = body.concept_set;
      if (body.criteria) kept.criteria = body.criteria;
      if (e.target.value === "cohort") kept.cohort = saved.length ? saved[0].id : 1;
      holder[key] = { [e.target.value]: kept };
      changed(true);
    } }, DOMAINS.map((d) => el("option", { value: d, selected: d === domain }, t(`lb.domain.${d}`))));
    const parts = [field(t("lb.domain"), select)];
    if (domain === "cohort") {
      const choice = el("select", { class: "lb-cohort", onchange: (e) => { body.cohort = Number(e.target.value); changed(); } },
        (saved.some((c) => c.id === body.cohort) ? saved : [{ id: body.cohort, name: "" }, ...saved]).map((c) =>
          el("option", { value: c.id, selected: c.id === body.cohort }, `${c.id} · ${c.name}`)));
      parts.push(field(t("lb.cohort"), choice));
    } else {
      parts.push(field(t("lb.codes"), el("input", { class: "lb-codes grow", value: codesText(body), onchange: (e) => { setCodes(body, e.target.value); prune(); changed(); } })));
    }
    if (VALUES.includes(domain)) parts.push(...rangeFields(body, "value", t("lb.value_from"), t("lb.value_to"), "lb-value"));
    if (UNITS.includes(domain)) parts.push(careSites.picker(sites, body.care_site || [], (picked) => {
      const units = picked.units(); // a stay is in a unit: a pôle or a service stands for its units
      if (units.length) body.care_site = units; else delete body.care_site;
      changed();
    }, { label: t("lb.care_site"), id: `lb-units${++ids}`, open: unfolded.has(body),
      ontoggle: (open) => (open ? unfolded.add(body) : unfolded.delete(body)) }).element);
    if (domain === "note_mention") parts.push(el("p", { class: "muted" }, t("lb.mentions")));
    return el("div", { class: "row lb-event" }, parts);
  }

  // -- a criterion: an event in a window, counted; maybe a temporal constraint --
  function criterionEditor(list, criterion, path, nested) {
    const occurrence = criterion.occurrence || {};
    const excluded = occurrence.type === "at_most" && occurrence.count === 0;
    const window = () => criterion.window || {};
    const bound = (k, v) => {
      const w = { ...window() };
      if (v === null) delete w[k]; else w[k] = v;
      if (Object.keys(w).length) criterion.window = w; else delete criterion.window;
      changed();
    };
    const head = el("div", { class: "row" },
      el("strong", {}, nested ? t("lb.temporal") : t("lb.criterion")), path ? badge(path) : null,
      check(t("lb.exclude"), excluded, (on) => {
        if (on) criterion.occurrence = { type: "at_most", count: 0 }; else delete criterion.occurrence;
        changed(true);
      }, "lb-exclude"),
      excluded ? null : field(t("lb.at_least"), numberInput(occurrence.count ?? 1, (v) => {
        if (v === null || v === 1) delete criterion.occurrence; else criterion.occurrence = { type: "at_least", count: v };
        changed();
      }, "lb-at-least")),
      field(t("lb.from_days"), numberInput(typeof window().start === "number" ? window().start : null, (v) => bound("start", v), "lb-start")),
      field(t("lb.to_days"), numberInput(typeof window().end === "number" ? window().end : null, (v) => bound("end", v), "lb-end")),
      removeButton(list, criterion));
    const body = bodyOf(criterion.event);
    if (body.criteria && !(body.criteria.criteria || []).length) delete body.criteria; // its last constraint removed
    const inner = body.criteria ? body.criteria.criteria : null;
    const classes = `lb-criterion${excluded ? " lb-excluded" : ""}${nested ? " lb-temporal" : ""}`;
    return el("li", { class: classes, "data-path": path || "" },
      head, eventEditor(criterion, "event"),
      inner ? el("ul", { class: "lb-list" }, inner.map((c) => criterionEditor(inner, c, null, true)))
        : el("button", { type: "button", class: "secondary lb-add-temporal", onclick: () => {
          body.criteria = { criteria: [{ event: { condition: {} }, window: { start: 0, end: 56 } }] };
          changed(true);
        } }, t("lb.add_temporal")));
  }

  function demographicsEditor(list, d, path) {
    const sex = el("select", { class: "lb-sex", onchange: (e) => { if (e.target.value) d.gender = [e.target.value]; else delete d.gender; changed(); } },
      el("option", { value: "" }, t("any")),
      ["female", "male"].map((s) => el("option", { value: s, selected: (d.gender || [])[0] === s }, t(`sex.${s}`))));
    return el("li", { class: "lb-demographics", "data-path": path },
      el("div", { class: "row" }, el("strong", {}, t("lb.demographics")), badge(path),
        ...rangeFields(d, "age", t("lb.age_from"), t("lb.age_to"), "lb-age"), field(t("lb.sex"), sex), removeButton(list, d)));
  }

  // -- a group: its type, then its criteria, demographics and groups -----------
  function groupEditor(group, path, remove) {
    group.criteria = group.criteria || [];
    group.demographics = group.demographics || [];
    group.groups = group.groups || [];
    const type = group.type || "all";
    const kind = el("select", { class: "lb-group-type", onchange: (e) => {
      group.type = e.target.value;
      if (["at_least", "at_most"].includes(group.type)) group.count = group.count ?? 1; else delete group.count;
      changed(true);
    } }, GROUPS.map((g) => el("option", { value: g, selected: g === type }, t(`lb.group.${g}`))));
    const add = (label, cls, what) => el("button", { type: "button", class: `secondary ${cls}`, onclick: () => { what(); changed(true); } }, label);
    return el("div", { class: "co-box lb-group", "data-path": path },
      el("div", { class: "row" }, el("strong", {}, t("lb.group")), badge(path), field(t("lb.group_type"), kind),
        ["at_least", "at_most"].includes(type) ? field(t("lb.group_count"), numberInput(group.count, (v) => { group.count = v ?? 0; changed(); }, "lb-group-count")) : null,
        remove),
      el("ul", { class: "lb-list" },
        group.criteria.map((c, j) => criterionEditor(group.criteria, c, `${path}/criteria/${j}`, false)),
        group.demographics.map((d, j) => demographicsEditor(group.demographics, d, `${path}/demographics/${j}`))),
      group.groups.map((g, j) => groupEditor(g, `${path}/groups/${j}`, removeButton(group.groups, g))),
      el("div", { class: "row" },
        add(t("lb.add_criterion"), "lb-add-criterion", () => group.criteria.push({ event: { condition: {} } })),
        add(t("lb.add_exclusion"), "lb-add-exclusion", () => group.criteria.push({ event: { condition: {} }, occurrence: { type: "at_most", count: 0 } })),
        add(t("lb.add_demographics"), "lb-add-demographics", () => group.demographics.push({ age: { gte: 18 } })),
        add(t("lb.add_group"), "lb-add-group", () => group.groups.push({ type: "any", criteria: [] }))));
  }

  function ruleEditor(rule, i) {
    const rules = def.inclusion_rules;
    return el("fieldset", { class: "co-box lb-rule" },
      el("legend", {}, t("lb.rule", { n: i + 1 })),
      el("div", { class: "row" },
        field(t("lb.rule_name"), el("input", { class: "lb-rule-name grow", value: rule.name, oninput: (e) => { rule.name = e.target.value; changed(); } })),
        el("button", { type: "button", class: "secondary lb-remove-rule", onclick: () => { rules.splice(rules.indexOf(rule), 1); changed(true); } }, t("lb.remove_rule"))),
      groupEditor(rule.criteria, `rules/${i}`, null));
  }

  function render() {
    $("lb-name").value = def.name || "";
    const events = def.entry.events;
    $("lb-entry").replaceChildren(...events.map((e, i) => el("div", {}, eventEditor(events, i),
      check(t("lb.first"), !!bodyOf(e).first, (on) => { if (on) bodyOf(events[i]).first = true; else delete bodyOf(events[i]).first; changed(); }, "lb-first"))));
    $("lb-rules").replaceChildren(...def.inclusion_rules.map(ruleEditor));
  }

  // -- counting and the YAML ---------------------------------------------------
  function changed(rerender) {
    if (rerender) render();
    clearTimeout(timer);
    timer = setTimeout(() => count(def), 300);
  }

  function definitionOut() {
    prune();
    return { ...def, name: def.name || t("lb.title") };
  }

  // Count `body` (the definition, or YAML text); the answer's definition and YAML replace ours
  // when `adopt` (YAML applied), else only its YAML is shown.
  async function count(body, adopt = false) {
    const mine = ++asked;
    $("lb-status").textContent = t("lb.counting");
    try {
      const r = await entrepot.api("/api/cohorts/count", { method: "POST", body: { definition: body === def ? definitionOut() : body } });
      if (mine !== asked) return; // a later change is being counted
      $("lb-error").replaceChildren();
      $("lb-yaml").value = r.yaml;
      if (adopt) { def = r.definition; def.concept_sets = def.concept_sets || {}; def.inclusion_rules = def.inclusion_rules || []; render(); }
      show(r);
    } catch (e) {
      if (mine !== asked) return;
      $("lb-status").textContent = "";
      entrepot.showError($("lb-error"), e);
    }
  }

  function show(r) {
    $("lb-count").textContent = fmt(r.count);
    $("lb-status").textContent = t("lb.seconds", { seconds: r.seconds });
    const parts = Object.fromEntries(r.parts.map((p) => [p.path, p.persons]));
    document.querySelectorAll("#logic-builder .lb-n").forEach((n) => {
      const found = parts[n.dataset.path];
      n.textContent = found === undefined ? "–" : fmt(found);
      n.setAttribute("aria-label", found === undefined ? "" : t("lb.patients_n", { n: fmt(found) }));
    });
    $("lb-attrition").tBodies[0].replaceChildren(...r.attrition.map((s) => el("tr", {},
      el("td", {}, s.rule), el("td", { class: "n" }, fmt(s.persons)))));
  }

  async function save() {
    try {
      const started = await entrepot.api("/api/cohorts", { method: "POST", body: definitionOut() });
      const r = await entrepot.wait(started.job, null, { project: entrepot.project() });
      $("lb-status").textContent = t("co.saved_as", { id: r.cohort_definition_id });
      document.dispatchEvent(new Event("entrepot:project")); // the saved list reloads
      await loadCohorts();
    } catch (e) {
      entrepot.showError($("lb-error"), e);
    }
  }

  async function exportCirce() {
    try {
      const r = await entrepot.api("/api/cohorts/circe", { method: "POST", body: { definition: $("lb-yaml").value } });
      $("lb-circe").value = typeof r === "string" ? r : JSON.stringify(r, null, 2);
      $("lb-error").replaceChildren();
    } catch (e) {
      entrepot.showError($("lb-error"), e);
    }
  }

  async function importCirce() {
    try {
      const r = await entrepot.api("/api/cohorts/definition", { method: "POST", body: { circe: $("lb-circe").value } });
      $("lb-yaml").value = r.yaml;
      await count(r.yaml, true);
    } catch (e) {
      entrepot.showError($("lb-error"), e);
    }
  }

  async function loadCohorts() {
    try {
      saved = await entrepot.api("/api/cohorts");
    } catch (e) {
      saved = [];
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    render();
    $("lb-name").addEventListener("input", (e) => { def.name = e.target.value; changed(); });
    $("lb-add-rule").addEventListener("click", () => {
      def.inclusion_rules.push({ name: t("lb.rule", { n: def.inclusion_rules.length + 1 }), criteria: { type: "all", criteria: [] } });
      changed(true);
    });
    $("lb-apply").addEventListener("click", () => count($("lb-yaml").value, true));
    $("lb-save").addEventListener("click", save);
    $("lb-circe-export").addEventListener("click", exportCirce);
    $("lb-circe-import").addEventListener("click", importCirce);
  });
  document.addEventListener("entrepot:ready", async () => {
    await loadCohorts();
    sites = await careSites.load().catch(() => []);
    render();
  });
})();
