// A cohort's patients inside the project, a page at a time: pseudonymised id, age band, sex, first
// and last stay, each a link to the patient's timeline.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el, t } = entrepot;
  const root = $("cohort-patients");
  const cohort = root.dataset.cohort;
  const PAGE = 20;
  const SEX = { M: t("sex.male"), F: t("sex.female") };
  const SORTED = { first_stay: "cp-first", last_stay: "cp-last" };
  let offset = 0;

  function row(p) {
    const href = `/patients/${p.person_id}?project=${encodeURIComponent(entrepot.project())}`;
    return el("tr", { "data-person": p.person_id },
      el("td", {}, el("a", { href }, t("cp.patient", { id: p.person_id }))),
      el("td", {}, p.age_band ?? "?"),
      el("td", {}, SEX[p.sex] || t("patient.sex_unknown")),
      el("td", {}, p.first_stay ?? "–"),
      el("td", {}, p.last_stay ?? "–"));
  }

  function showSort(sort) {
    for (const id of Object.values(SORTED)) $(id).removeAttribute("aria-sort");
    const key = sort.replace(/^-/, "");
    if (SORTED[key]) $(SORTED[key]).setAttribute("aria-sort", sort.startsWith("-") ? "descending" : "ascending");
  }

  async function load(from = 0) {
    const sort = $("cp-sort").value;
    $("cp-error").replaceChildren();
    try {
      const r = await entrepot.api(`/api/cohorts/${cohort}/patients`, { query: { limit: PAGE, offset: from, sort } });
      offset = from;
      const n = r.patients.length;
      $("cp-table").tBodies[0].replaceChildren(...(n ? r.patients.map(row)
        : [el("tr", {}, el("td", { colspan: 5, class: "muted" }, t("cp.none")))]));
      $("cp-summary").textContent = t("cp.summary", { persons: entrepot.fmt(r.persons) });
      $("cp-shown").textContent = n ? t("cp.shown", { first: from + 1, last: from + n }) : "";
      $("cp-prev").hidden = from === 0;
      $("cp-next").hidden = r.next === null;
      showSort(sort);
    } catch (e) {
      $("cp-summary").textContent = "";
      entrepot.showError($("cp-error"), e);
    }
  }

  $("cp-sort").addEventListener("change", () => load(0));
  $("cp-next").addEventListener("click", () => load(offset + PAGE));
  $("cp-prev").addEventListener("click", () => load(Math.max(offset - PAGE, 0)));
  document.addEventListener("entrepot:ready", () => load(0));
  document.addEventListener("entrepot:project", (e) => {
    location.href = `/cohorts/${cohort}/patients?project=${encodeURIComponent(e.detail)}`;
  });
})();
