// The warehouse overview: age pyramid, records per year, top concepts, quality.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el, fmt, t } = entrepot;
  const NS = "http://www.w3.org/2000/svg";
  const DOMAIN_NAMES = { conditions: t("domains.conditions"), drugs: t("domains.drugs"), measurements: t("domains.measurements"), visits: t("domains.visits"), notes: t("domains.notes") };

  // An SVG element; `title` becomes a tooltip read by screen readers.
  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }
  const tip = (text) => svg("title", {}, text);
  const value = (n) => (typeof n === "number" ? n : 0); // "<10" is drawn as nothing

  function pyramid(bands) {
    const rowH = 20, mid = 240, half = 230, top = 8;
    const max = Math.max(1, ...bands.flatMap((b) => [value(b.female), value(b.male)]));
    const height = top + bands.length * rowH + 24;
    const chart = svg("svg", { viewBox: `0 0 480 ${height}`, class: "ov-chart", role: "img",
      "aria-label": t("overview.pyramid_label") });
    [...bands].reverse().forEach((b, i) => {
      const y = top + i * rowH;
      const wf = (value(b.female) / max) * (half - 70), wm = (value(b.male) / max) * (half - 70);
      chart.append(
        svg("rect", { x: mid - 30 - wf, y, width: wf, height: rowH - 3, class: "ov-female" },
          tip(t("overview.band_women", { band: b.band, n: fmt(b.female) }))),
        svg("rect", { x: mid + 30, y, width: wm, height: rowH - 3, class: "ov-male" },
          tip(t("overview.band_men", { band: b.band, n: fmt(b.male) }))),
        svg("text", { x: mid, y: y + rowH - 7, "text-anchor": "middle" }, b.band),
        svg("text", { x: mid - 34 - wf, y: y + rowH - 7, "text-anchor": "end" }, fmt(b.female)),
        svg("text", { x: mid + 34 + wm, y: y + rowH - 7 }, fmt(b.male)));
    });
    return chart;
  }

  function bars(years, counts, name) {
    const w = 560, h = 120, left = 44, bottom = 18;
    const max = Math.max(1, ...counts.map(value));
    const step = (w - left) / Math.max(1, years.length);
    const chart = svg("svg", { viewBox: `0 0 ${w} ${h + bottom}`, class: "ov-chart", role: "img",
      "aria-label": t("overview.bars_label", { name }) });
    chart.append(svg("text", { x: 0, y: 12 }, fmt(max)), svg("line", { x1: left, x2: w, y1: h, y2: h, stroke: "#98a2b3" }));
    years.forEach((year, i) => {
      const bh = (value(counts[i]) / max) * (h - 16);
      chart.append(svg("rect", { x: left + i * step + 1, y: h - bh, width: Math.max(1, step - 2), height: bh, class: "ov-bar" },
        tip(`${name}, ${year}: ${fmt(counts[i])}`)));
      if (years.length <= 12 || i % Math.ceil(years.length / 12) === 0)
        chart.append(svg("text", { x: left + i * step + step / 2, y: h + 13, "text-anchor": "middle" }, year));
    });
    return chart;
  }

  function perYear(data) {
    const parts = [];
    for (const [domain, counts] of Object.entries(data.domains)) {
      const name = DOMAIN_NAMES[domain] || domain;
      parts.push(el("h3", { class: "ov-domain" }, name));
      parts.push(counts === null ? el("p", { class: "muted" }, t("outside")) : bars(data.years, counts, name));
    }
    return parts;
  }

  function topTable(rows) {
    if (rows === null) return el("p", { class: "muted" }, t("outside"));
    if (!rows.length) return el("p", { class: "muted" }, t("overview.none"));
    return el("table", {},
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("col.code")), el("th", { scope: "col" }, t("col.concept")),
        el("th", { scope: "col", class: "n" }, t("col.patients")), el("th", { scope: "col", class: "n" }, t("col.records")))),
      el("tbody", {}, rows.map((r) => el("tr", {},
        el("td", {}, r.vocabulary_id ? `${r.vocabulary_id} ${r.concept_code}` : String(r.concept_id)),
        el("td", {}, r.concept_name || t("overview.unknown_concept")),
        el("td", { class: "n" }, fmt(r.persons)), el("td", { class: "n" }, fmt(r.records))))));
  }

  function quality(q) {
    if (!q) return [el("p", { class: "muted" }, t("overview.no_quality"))];
    const parts = [el("p", {}, t("overview.quality_summary", { checks: fmt(q.checks), pass: fmt(q.pass), fail: fmt(q.fail), error: fmt(q.error), na: fmt(q.not_applicable) }))];
    if (q.failing.length) parts.push(el("table", {},
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("overview.failing_check")), el("th", { scope: "col", class: "n" }, t("overview.percent_rows")))),
      el("tbody", {}, q.failing.map((f) => el("tr", {}, el("td", { title: f.description }, f.id),
        el("td", { class: "n" }, f.violating_percent === null ? "–" : fmt(f.violating_percent)))))));
    return parts;
  }

  async function load() {
    $("overview-error").replaceChildren();
    $("overview-summary").textContent = t("loading");
    try {
      const o = await entrepot.api("/api/overview");
      const where = o.project ? t("overview.in_project", { project: o.project }) : t("overview.in_warehouse");
      $("overview-summary").textContent = t("overview.summary", { persons: fmt(o.persons), where, mask: o.mask_below });
      $("pyramid").replaceChildren(pyramid(o.pyramid));
      $("per-year").replaceChildren(...perYear(o.per_year));
      for (const name of ["diagnoses", "drugs", "labs"]) $(`top-${name}`).replaceChildren(topTable(o.top[name]));
      $("table-rows").tBodies[0].replaceChildren(...o.tables.map((t) =>
        el("tr", {}, el("td", {}, t.table), el("td", { class: "n" }, fmt(t.rows)))));
      $("quality").replaceChildren(...quality(o.quality));
    } catch (e) {
      $("overview-summary").textContent = "";
      entrepot.showError($("overview-error"), e);
    }
  }

  document.addEventListener("entrepot:ready", load);
  document.addEventListener("entrepot:project", load);
})();
