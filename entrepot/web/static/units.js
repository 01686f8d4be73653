// The care-site hierarchy (CHU > hôpital > pôle > service > unité) as a tree of checkboxes, picked
// by name: a project's units (administration) or the units of a stay criterion (the cohort builder).
"use strict";

const careSites = (() => {
  const { api, el, t } = entrepot;
  let asked;

  // Every care site, depth first, asked once a page (GET /api/care-sites: no patient data).
  const load = () => (asked ??= api("/api/care-sites", { query: { project: "" } }));

  // The names of care sites, in the tree's order.
  function names(sites, ids) {
    const wanted = new Set(ids);
    return sites.filter((s) => wanted.has(s.care_site_id)).map((s) => s.name);
  }

  // A picker folded in a <details> whose summary names the choice. Checking a care site checks
  // everything under it; `onchange(picker)` follows
  // each change. picker.chosen(): the highest care sites checked (a service rather than its units);
  // picker.units(): the units checked; picker.set(ids): check those only. `open`: unfolded at first;
  // `ontoggle(open)` when folded or unfolded.
  function picker(sites, chosen, onchange, { label, id, open = false, ontoggle }) {
    const kids = new Map(), parentOf = new Map(), boxes = new Map();
    for (const s of sites) {
      parentOf.set(s.care_site_id, s.parent);
      if (s.parent !== null) kids.set(s.parent, [...(kids.get(s.parent) || []), s.care_site_id]);
    }
    const below = (i) => [i, ...(kids.get(i) || []).flatMap(below)];
    const on = (i) => boxes.get(i).checked;
    const shown = el("span", { class: "unit-chosen" });
    const self = {
      chosen: () => sites.map((s) => s.care_site_id).filter((i) => on(i) && !(parentOf.get(i) !== null && on(parentOf.get(i)))),
      units: () => sites.filter((s) => !kids.has(s.care_site_id) && on(s.care_site_id)).map((s) => s.care_site_id),
      set(ids) {
        for (const box of boxes.values()) box.checked = false;
        for (const i of ids) if (boxes.has(i)) check(i, true);
        show();
      },
    };

    // A care site with everything under it; one left out leaves out the care sites above it.
    function check(i, value) {
      for (const j of below(i)) boxes.get(j).checked = value;
      if (!value) for (let p = parentOf.get(i); p !== null && p !== undefined; p = parentOf.get(p)) boxes.get(p).checked = false;
    }

    function show() {
      const chosenNames = names(sites, self.chosen());
      shown.textContent = `(${chosenNames.length ? chosenNames.join(", ") : t("units.none")})`;
    }

    function tree(parent) {
      const here = sites.filter((s) => s.parent === parent);
      if (!here.length) return null;
      return el("ul", { class: "unit-tree" }, here.map((s) => {
        const box = el("input", { type: "checkbox", id: `${id}-${s.care_site_id}`, value: s.care_site_id,
          onchange: (e) => { check(s.care_site_id, e.target.checked); show(); onchange(self); } });
        boxes.set(s.care_site_id, box);
        return el("li", {}, el("label", { for: box.id }, box, ` ${s.name}`),
          s.level ? el("span", { class: "muted" }, ` (${s.level})`) : null, tree(s.care_site_id));
      }));
    }

    const list = tree(null) || el("p", { class: "muted" }, t("units.no_site"));
    self.element = el("details", { class: "unit-picker", id, open, ontoggle: (e) => ontoggle?.(e.target.open) },
      el("summary", {}, label, " ", shown),
      el("div", { class: "unit-scroll", role: "group", "aria-label": label }, list));
    self.set(chosen);
    return self;
  }

  return { load, names, picker };
})();
