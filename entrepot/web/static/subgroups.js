// Patient subgroups: a saved cohort's persons clustered by their features, in the background; then
// each cluster's size, stability, survival (the server's SVG), hazard ratio, Table 1 and what sets
// it apart. Every figure comes masked from the API.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el, fmt, t } = entrepot;
  const STEPS = { features: t("sg.step_features"), clusters: t("sg.step_clusters"), profiles: t("sg.step_profiles") };
  const SEXES = { female: t("sex.female"), male: t("sex.male") };
  const TOPICS = [["conditions", t("sg.condition")], ["drugs", t("sg.drug")], ["labs", t("sg.lab")]];
  const num = (x, digits = 2) => (typeof x === "number" ? x.toLocaleString(entrepot.locale, { maximumFractionDigits: digits }) : "–");

  async function loadCohorts() {
    try {
      const cohorts = await entrepot.api("/api/cohorts");
      $("sg-cohort").replaceChildren(...cohorts.map((c) => el("option", { value: c.id }, `${c.name} (${fmt(c.persons)})`)));
    } catch (e) {
      entrepot.showError($("sg-error"), e);
    }
  }

  function progress(fraction, message) {
    const bar = $("sg-progress");
    bar.firstElementChild.style.width = `${Math.round(fraction * 100)}%`;
    bar.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
    $("sg-status").textContent = message;
  }

  const table = (head, rows) => el("table", {},
    el("thead", {}, el("tr", {}, head.map(([text, cls]) => el("th", { class: cls }, text)))),
    el("tbody", {}, rows));
  const row = (...cells) => el("tr", {}, cells.map(([text, cls]) => el("td", { class: cls }, text)));

  function ratio(cox) {
    if (!cox) return [[t("sg.not_estimable"), "muted"], ["", "n"], ["", "n"]];
    if (cox.reference) return [["1", "n"], [t("sg.reference"), "n muted"], ["", "n"]];
    return [[num(cox.hr), "n"], [`${num(cox.ci[0])} – ${num(cox.ci[1])}`, "n"], [num(cox.p, 4), "n"]];
  }

  function summary(r, job) {
    const c = r.clustering;
    const stability = c.stability.per_cluster_jaccard;
    const lines = r.clusters.map((k, i) => {
      const s = stability[i] || {};
      return row([k.cluster], [fmt(k.size), "n"], [num(s.mean)], [s.interval ? `${num(s.interval[0])} – ${num(s.interval[1])}` : "–"], ...ratio(k.cox));
    });
    const query = new URLSearchParams({ project: entrepot.project() });
    return el("section", { class: "card", "aria-labelledby": "sg-summary" },
      el("h2", { id: "sg-summary" }, t("sg.summary", { k: c.k, method: c.method, cohort: r.cohort ?? r.cohort_definition_id })),
      el("p", { class: "muted" }, t("sg.indices", { silhouette: num(c.indices.silhouette), stability: num(c.stability.mean) }),
        " ", r.mask_below ? t("sg.masked", { n: r.mask_below }) : ""),
      table([[t("sg.cluster")], [t("sg.persons"), "n"], [t("sg.stability")], [t("sg.interval")], [t("sg.hr"), "n"], [t("sg.ci"), "n"], ["p", "n"]], lines),
      el("h3", {}, t("sg.survival")),
      r.followup ? el("img", { src: `/api/subgroups/${job}/survival.svg?${query}`, class: "sg-curves", alt: t("sg.curves") })
        : el("p", { class: "muted" }, t("sg.no_followup")),
      r.logrank ? el("p", {}, t("sg.logrank", { chi2: num(r.logrank.statistic), df: r.logrank.df, p: num(r.logrank.p, 4) })) : "");
  }

  function profile(c) {
    const card = el("section", { class: "card" }, el("h2", {}, t("sg.cluster_title", { cluster: c.cluster, n: fmt(c.size) })));
    if (!c.table1) return card.append(el("p", { class: "muted" }, t("sg.hidden"))) || card;
    const t1 = c.table1;
    const lines = [row([t("sg.persons")], [fmt(t1.persons), "n"]),
      row([t("sg.age")], [`${num(t1.age.mean, 1)} (${num(t1.age.min, 0)} – ${num(t1.age.max, 0)})`, "n"]),
      ...Object.entries(t1.sex).map(([sex, n]) => row([SEXES[sex] ?? t("sex.other")], [fmt(n), "n"])),
      ...TOPICS.flatMap(([topic, label]) => (t1[topic] || []).map((x) => row([`${label} : ${x.name ?? x.concept_id}`], [fmt(x.persons), "n"])))];
    const apart = (c.features || []).map((f) => row([f.level === null ? f.feature : `${f.feature} = ${f.level}`],
      [num(f.cluster), "n"], [num(f.rest), "n"], [f.complete ? t("sg.complete") : num(f.smd), "n"]));
    card.append(el("div", { class: "sg-cols" },
      el("div", {}, el("h3", {}, t("sg.table1")), table([[t("sg.variable")], [t("sg.persons"), "n"]], lines)),
      el("div", {}, el("h3", {}, t("sg.apart")),
        table([[t("sg.variable")], [t("sg.in_cluster"), "n"], [t("sg.others"), "n"], [t("sg.smd"), "n"]], apart))));
    return card;
  }

  async function run(event) {
    event.preventDefault();
    $("sg-error").replaceChildren();
    $("sg-result").replaceChildren();
    $("sg-button").disabled = true;
    progress(0.05, t("sg.step_start"));
    const k = $("sg-k").value.trim();
    const body = { cohort: Number($("sg-cohort").value), spec: $("sg-spec").value, method: $("sg-method").value,
      k: k === "auto" ? "auto" : Number(k), seed: Number($("sg-seed").value || 0) };
    try {
      const started = await entrepot.api("/api/subgroups", { method: "POST", body });
      const r = await entrepot.wait(started.job, (job) => progress(Math.max(0.05, job.progress), STEPS[job.message] ?? t("sg.step_start")));
      progress(1, t("sg.done"));
      $("sg-result").replaceChildren(summary(r, started.job), ...r.clusters.map(profile));
    } catch (e) {
      progress(0, "");
      entrepot.showError($("sg-error"), e);
    } finally {
      $("sg-button").disabled = false;
    }
  }

  $("sg-form").addEventListener("submit", run);
  document.addEventListener("entrepot:ready", loadCohorts);
  document.addEventListener("entrepot:project", loadCohorts);
})();
