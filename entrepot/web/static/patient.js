// One patient's timeline: stays, diagnoses, drugs and reports on one time axis;
// labs as small multiples, one stay at a time on that stay's own axis.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el, t } = entrepot;
  const SVG = "http://www.w3.org/2000/svg";
  const root = $("patient");
  const person = root.dataset.person;
  const DAY = 86400000;
  const WIDTH = 1000, LEFT = 110, RIGHT = 20;
  const LANES = [
    ["visits", t("patient.lane.visits"), "#0b5cad"],
    ["conditions", t("patient.lane.conditions"), "#b42318"],
    ["drugs", t("patient.lane.drugs"), "#067647"],
    ["notes", t("patient.lane.notes"), "#b54708"],
  ];
  const SEX = { M: t("sex.male"), F: t("sex.female") };
  let labStays = [];

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) node.append(typeof c === "string" ? document.createTextNode(c) : c);
    return node;
  }
  const title = (text) => svg("title", {}, text);
  const time = (d) => new Date(d + "T00:00:00Z").getTime();

  // A time scale from `lo` to `hi` (milliseconds) onto the chart's width.
  function scaleOf(lo, hi) {
    return { lo, hi, x: (d) => LEFT + ((time(d) - lo) / (hi - lo)) * (WIDTH - LEFT - RIGHT) };
  }

  function domain(p) {
    const days = [];
    for (const v of p.visits || []) days.push(v.start, v.end || v.start);
    for (const c of p.conditions || []) days.push(c.date);
    for (const d of p.drugs || []) days.push(d.start, d.end || d.start);
    for (const n of p.notes || []) days.push(n.date);
    for (const s of p.labs || []) days.push(s.start, s.end);
    const found = days.filter(Boolean).map(time);
    if (!found.length) return null;
    return scaleOf(Math.min(...found) - DAY, Math.max(...found) + DAY);
  }

  // Dates under the chart: every day of a short span (a stay), else 6 evenly spaced.
  function axis(scale, y) {
    const g = svg("g", { class: "axis" });
    const first = Math.ceil(scale.lo / DAY) * DAY;
    const daily = (scale.hi - first) / DAY <= 14;
    const count = daily ? Math.floor((scale.hi - first) / DAY) : 6;
    for (let i = 0; i <= count; i++) {
      const at = daily ? first + i * DAY : scale.lo + ((scale.hi - scale.lo) * i) / count;
      const day = new Date(at).toISOString().slice(0, 10);
      const x = scale.x(day);
      const anchor = daily ? "middle" : i === 0 ? "start" : i === count ? "end" : "middle";
      g.append(svg("line", { x1: x, x2: x, y1: 0, y2: y, stroke: "#e4e7ec" }),
        svg("text", { x, y: y + 14, "text-anchor": anchor }, day));
    }
    g.append(svg("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: y, y2: y, stroke: "#5b6775" }));
    return g;
  }

  // The patient's slides (null until read), each a link to the viewer; a report lists those of its day.
  let slides = null;
  const inProject = root.dataset.project ? `?project=${encodeURIComponent(root.dataset.project)}` : "";
  const slideLink = (s) => el("a", { href: `/slides/${s.slide_id}${inProject}` },
    t("patient.slide_item", { date: s.date, id: s.slide_id, stain: s.stain ?? "?" }));

  async function loadSlides() {
    try {
      slides = await entrepot.api(`/api/patients/${person}/slides`, { query: { project: root.dataset.project } });
      $("patient-slides").replaceChildren(...(slides.length ? slides.map((s) => el("li", {}, slideLink(s)))
        : [el("li", { class: "muted" }, t("patient.no_slide"))]));
    } catch (e) {
      entrepot.showError($("patient-slides"), e);
    }
  }

  function noteSlides(note) {
    const same = (slides || []).filter((s) => s.date === note.date);
    $("note-slides").replaceChildren(...(same.length
      ? [t("patient.report_slides", { date: note.date }), " ", ...same.flatMap((s, i) => (i ? [", ", slideLink(s)] : [slideLink(s)]))]
      : []));
  }

  function showNote(note) {
    noteSlides(note);
    $("note-title").textContent = note.title || t("patient.report");
    $("note-meta").textContent = t("patient.note_meta", { date: note.date, id: note.id });
    $("note-meta").dataset.note = note.id;
    $("note-text").textContent = note.text;
    entrepot.api(`/api/patients/${person}/notes/${note.id}`)
      .then((full) => { if ($("note-meta").dataset.note === String(note.id)) $("note-text").textContent = full.text; })
      .catch((e) => entrepot.showError($("note-text"), e));
  }

  function clickable(node, action) {
    node.setAttribute("tabindex", "0");
    node.setAttribute("role", "button");
    node.addEventListener("click", action);
    node.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); action(); } });
    return node;
  }

  function stayMark(item, mid, colour, scale) {
    const x1 = scale.x(item.start), x2 = Math.max(scale.x(item.end || item.start), x1 + 3);
    const text = t("patient.stay_tip", { type: item.type || t("patient.stay"), start: item.start, end: item.end || "?" });
    const mark = svg("rect", { x: x1, y: mid - 9, width: x2 - x1, height: 18, fill: colour, "fill-opacity": 0.35, stroke: colour }, title(text));
    const labs = labStays.findIndex((s) => s.visit_id === item.id);
    return labs < 0 ? mark : clickable(mark, () => { $("lab-stay").value = String(labs); showLabs(); });
  }

  function timeline(p, scale) {
    const lanes = LANES.filter(([key]) => p[key]);
    const laneH = 34, top = 8, height = top + lanes.length * laneH;
    // a group, not an image: its stays and reports are buttons
    const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${height + 24}`, role: "group", "aria-label": t("patient.timeline"), class: "timeline-chart" });
    chart.append(axis(scale, height));
    lanes.forEach(([key, label, colour], i) => {
      const y = top + i * laneH;
      const mid = y + laneH / 2;
      chart.append(svg("text", { x: 4, y: mid + 4 }, label));
      const g = svg("g", { class: `lane lane-${key}` });
      for (const item of p[key]) {
        if (key === "visits") g.append(stayMark(item, mid, colour, scale));
        else if (key === "drugs") {
          const x1 = scale.x(item.start), x2 = Math.max(scale.x(item.end || item.start), x1 + 3);
          g.append(svg("rect", { x: x1, y: mid - 5, width: x2 - x1, height: 10, fill: colour, "fill-opacity": 0.5, stroke: colour },
            title(`${item.name}: ${item.start} → ${item.end || "?"}`)));
        } else if (key === "conditions") {
          const x = scale.x(item.date);
          g.append(svg("path", { d: `M ${x} ${mid - 7} L ${x + 6} ${mid} L ${x} ${mid + 7} L ${x - 6} ${mid} Z`, fill: colour, "fill-opacity": 0.7 },
            title(`${item.date}: ${item.code || ""} ${item.name || ""}`)));
        } else {
          const x = scale.x(item.date);
          g.append(clickable(svg("circle", { cx: x, cy: mid, r: 6, fill: colour, class: "note-mark", "data-note": item.id },
            title(`${item.date}: ${item.title || t("patient.report")}`)), () => showNote(item)));
        }
      }
      chart.append(g);
    });
    return chart;
  }

  function curve(series, scale) {
    const H = 116, top = 24, bottom = 30;
    const values = series.points.map(([, v]) => v);
    let lo = Math.min(...values), hi = Math.max(...values);
    if (lo === hi) { lo -= 1; hi += 1; }
    const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
    const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${H}`, role: "img", "aria-label": t("patient.curve_label", { name: series.name, n: series.points.length }), class: "lab-chart" });
    chart.append(axis(scale, H - bottom + 6));
    chart.append(svg("text", { x: LEFT, y: 12, class: "lab-name" }, `${series.name}${series.unit ? ` (${series.unit})` : ""}`));
    if (series.low !== null && series.high !== null && series.low >= lo && series.high <= hi) {
      chart.append(svg("rect", { x: LEFT, y: y(series.high), width: WIDTH - LEFT - RIGHT, height: Math.max(y(series.low) - y(series.high), 1), fill: "#067647", "fill-opacity": 0.08 },
        title(t("patient.normal_range", { low: series.low, high: series.high }))));
    }
    chart.append(svg("text", { x: LEFT - 6, y: y(hi) + 4, "text-anchor": "end" }, String(+hi.toPrecision(4))),
      svg("text", { x: LEFT - 6, y: y(lo) + 4, "text-anchor": "end" }, String(+lo.toPrecision(4))));
    const d = series.points.map(([day, v], i) => `${i ? "L" : "M"} ${scale.x(day).toFixed(1)} ${y(v).toFixed(1)}`).join(" ");
    chart.append(svg("path", { d, fill: "none", stroke: "#0b5cad", "stroke-width": 1.5 }));
    for (const [day, v] of series.points) {
      chart.append(svg("circle", { cx: scale.x(day), cy: y(v), r: 2.5, fill: "#0b5cad" }, title(`${day}: ${v}${series.unit ? " " + series.unit : ""}`)));
    }
    return chart;
  }

  // The chosen stay's labs, on an axis from the stay's first to its last day.
  function showLabs() {
    const stay = labStays[Number($("lab-stay").value)];
    if (!stay) return;
    const scale = scaleOf(time(stay.start) - DAY / 2, time(stay.end) + DAY / 2);
    $("lab-curves").replaceChildren(...stay.series.map((s) => curve(s, scale)));
  }

  function labs(p) {
    labStays = p.labs || [];
    $("lab-stay").replaceChildren(...labStays.map((s, i) => el("option", { value: i },
      t("patient.stay_option", { start: s.start, end: s.end, n: s.series.reduce((n, x) => n + x.points.length, 0) }))));
    $("lab-stay").disabled = !labStays.length;
    if (labStays.length) {
      $("lab-stay").value = String(labStays.length - 1); // the latest stay
      showLabs();
    } else $("lab-curves").replaceChildren(el("p", { class: "muted" }, p.labs ? t("patient.no_lab") : t("patient.labs_outside")));
  }

  function notesList(p) {
    if (!p.notes) return [el("li", { class: "muted" }, t("patient.notes_outside"))];
    if (!p.notes.length) return [el("li", { class: "muted" }, t("patient.no_report"))];
    return p.notes.map((n) => el("li", {},
      el("button", { type: "button", class: "link", onclick: () => showNote(n) }, `${n.date} · ${n.title || t("patient.report")}`),
      el("div", { class: "muted excerpt" }, n.text)));
  }

  async function load() {
    try {
      const p = await entrepot.api(`/api/patients/${person}`, { query: { project: root.dataset.project } });
      const who = p.person;
      $("patient-summary").textContent = t("patient.summary", {
        id: who.person_id, sex: SEX[who.sex] || t("patient.sex_unknown"), born: who.year_of_birth ?? "?",
        stays: (p.visits || []).length, diagnoses: (p.conditions || []).length, drugs: (p.drugs || []).length, reports: (p.notes || []).length });
      labs(p);
      const scale = domain(p);
      $("timeline").replaceChildren(scale ? timeline(p, scale) : el("p", { class: "muted" }, t("patient.nothing_dated")));
      $("timeline-legend").replaceChildren(...LANES.filter(([k]) => p[k] === null).map(([, label]) => el("li", { class: "muted" }, t("patient.lane_outside", { label }))));
      $("patient-notes").replaceChildren(...notesList(p));
      await loadSlides();
    } catch (e) {
      $("patient-summary").textContent = "";
      entrepot.showError($("patient-error"), e);
    }
  }

  $("lab-stay").addEventListener("change", showLabs);
  document.addEventListener("entrepot:ready", load);
  document.addEventListener("entrepot:project", (e) => {
    location.href = `/patients/${person}?project=${encodeURIComponent(e.detail)}`;
  });
})();
