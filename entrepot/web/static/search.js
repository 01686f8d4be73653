// Search in reports: counts for everyone who may count, hits for those who may read.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el, t } = entrepot;
  let last = null; // the parameters of the search shown
  let offset = 0; // of the page of hits shown

  function params() {
    const boxes = ["negated", "hypothesis", "family", "history"].map((n) => $(`exclude-${n}`));
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    return {
      q: $("search-query").value.trim(),
      exclude: chosen.length ? chosen.join(",") : "none",
      note_type: $("search-note-type").value.trim(),
      from: $("search-from").value,
      to: $("search-to").value,
    };
  }

  function hit(h, project) {  // the patient's page opens the note, the search's words marked
    const query = new URLSearchParams({ project, q: last ? last.q : "", note: h.note_id });
    const href = `/patients/${h.person_id}?${query}`;
    return el("li", {},
      el("div", { class: "muted" }, `${h.note_date} · ${h.note_title || ""} · ${t("search.note", { id: h.note_id })} · `,
        el("a", { href }, t("search.patient", { id: h.person_id }))),
      el("div", {}, entrepot.highlighted(h.snippet)));
  }

  async function search(event, from = 0) {
    if (event) event.preventDefault();
    const p = params();
    if (!p.q) return;
    offset = from;
    $("search-error").replaceChildren();
    $("search-saved").textContent = "";
    $("search-button").disabled = true;
    try {
      const r = await entrepot.api("/api/search", { query: { ...p, offset } });
      last = p;
      $("search-notes").textContent = entrepot.fmt(r.notes);
      $("search-persons").textContent = entrepot.fmt(r.persons);
      const project = entrepot.project();
      const items = r.hits.map((h) => hit(h, project));
      if (!r.hits_allowed) items.push(el("li", { class: "muted" }, t("search.counts_only")));
      else if (!r.hits.length) items.push(el("li", { class: "muted" }, t("search.no_match")));
      $("search-hits").replaceChildren(...items);
      const n = r.hits.length, total = entrepot.fmt(r.notes);
      $("search-shown").textContent = !n ? "" : offset
        ? t("search.shown_range", { first: offset + 1, last: offset + n, total })
        : t("search.shown", { n, total });
      $("search-next").hidden = !n || n < 20 || r.notes === offset + n;
      $("save-search").disabled = false;
      if (!$("search-cohort-name").value) $("search-cohort-name").value = t("search.cohort_default", { q: p.q }).slice(0, 255);
    } catch (e) {
      last = null;
      $("save-search").disabled = true;
      $("search-notes").textContent = $("search-persons").textContent = "–";
      $("search-hits").replaceChildren();
      $("search-shown").textContent = "";
      $("search-next").hidden = true;
      entrepot.showError($("search-error"), e);
    } finally {
      $("search-button").disabled = false;
    }
  }

  async function save() {
    if (!last) return;
    const name = $("search-cohort-name").value.trim() || t("search.cohort_default", { q: last.q });
    const body = { ...last, name };
    for (const k of ["note_type", "from", "to"]) if (!body[k]) delete body[k];
    $("save-search").disabled = true;
    try {
      const r = await entrepot.api("/api/search/cohort", { method: "POST", body });
      $("search-saved").textContent =
        t("search.saved", { id: r.cohort_definition_id, n: entrepot.fmt(r.count) });
    } catch (e) {
      entrepot.showError($("search-error"), e);
    } finally {
      $("save-search").disabled = false;
    }
  }

  $("search-form").addEventListener("submit", search);
  $("save-search").addEventListener("click", save);
  $("search-next").addEventListener("click", () => search(null, offset + 20));
  document.addEventListener("entrepot:project", () => { if (last) search(); });
  document.addEventListener("entrepot:ready", () => {
    const q = new URLSearchParams(location.search).get("q");
    if (q) { $("search-query").value = q; search(); }
  });
})();
