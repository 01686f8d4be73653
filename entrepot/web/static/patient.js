// One patient's timeline: stays, diagnoses, drugs and reports on one time axis; labs as small multiples.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el } = entrepot;
  const SVG = "http://www.w3.org/2000/svg";
  const root = $("patient");
  const person = root.dataset.person;
  const DAY = 86400000;
  const WIDTH = 1000, LEFT = 110, RIGHT = 20;
  const LANES = [
    ["visits", "Stays", "#0b5cad"],
    ["conditions", "Diagnoses", "#b42318"],
    ["drugs", "Drugs", "#067647"],
    ["notes", "Reports", "#b54708"],
  ];

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) node.append(typeof c === "string" ? document.createTextNode(c) : c);
    return node;
  }
  const title = (text) => svg("title", {}, text);
  const time = (d) => new Date(d + "T00:00:00Z").getTime();

  function domain(p) {
    const days = [];
    for (const v of p.visits || []) days.push(v.start, v.end || v.start);
    for (const c of p.conditions || []) days.push(c.date);
    for (const d of p.drugs || []) days.push(d.start, d.end || d.start);
    for (const n of p.notes || []) days.push(n.date);
    for (const s of p.labs || []) for (const [d] of s.points) days.push(d);
    const t = days.filter(Boolean).map(time);
    if (!t.length) return null;
    const lo = Math.min(...t) - DAY, hi = Math.max(...t) + DAY;
    return { lo, hi, x: (d) => LEFT + ((time(d) - lo) / (hi - lo)) * (WIDTH - LEFT - RIGHT) };
  }

  function axis(scale, y, height) {
    const g = svg("g", { class: "axis" });
    const span = scale.hi - scale.lo;
    const ticks = 6;
    for (let i = 0; i <= ticks; i++) {
      const t = new Date(scale.lo + (span * i) / ticks).toISOString().slice(0, 10);
      const x = scale.x(t);
      g.append(svg("line", { x1: x, x2: x, y1: 0, y2: y, stroke: "#e4e7ec" }),
        svg("text", { x, y: y + 14, "text-anchor": i === 0 ? "start" : i === ticks ? "end" : "middle" }, t));
    }
    g.append(svg("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: y, y2: y, stroke: "#5b6775" }));
    return g;
  }

  function showNote(note) {
    $("note-title").textContent = note.title || "Report";
    $("note-meta").textContent = `${note.date} · note ${note.id}`;
    $("note-text").textContent = note.text;
    entrepot.api(`/api/patients/${person}/notes/${note.id}`)
      .then((full) => { if ($("note-meta").textContent.endsWith(` ${note.id}`)) $("note-text").textContent = full.text; })
      .catch((e) => entrepot.showError($("note-text"), e));
  }

  function clickable(node, note) {
    node.setAttribute("tabindex", "0");
    node.setAttribute("role", "button");
    node.addEventListener("click", () => showNote(note));
    node.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showNote(note); } });
    return node;
  }

  function timeline(p, scale) {
    const lanes = LANES.filter(([key]) => p[key]);
    const laneH = 34, top = 8, height = top + lanes.length * laneH;
    const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${height + 24}`, role: "img", "aria-label": "Patient timeline", class: "timeline-chart" });
    chart.append(axis(scale, height, height));
    lanes.forEach(([key, label, colour], i) => {
      const y = top + i * laneH;
      const mid = y + laneH / 2;
      chart.append(svg("text", { x: 4, y: mid + 4 }, label));
      const g = svg("g", { class: `lane lane-${key}` });
      for (const item of p[key]) {
        if (key === "visits" || key === "drugs") {
          const x1 = scale.x(item.start), x2 = Math.max(scale.x(item.end || item.start), x1 + 3);
          g.append(svg("rect", { x: x1, y: mid - (key === "visits" ? 9 : 5), width: x2 - x1, height: key === "visits" ? 18 : 10, fill: colour, "fill-opacity": key === "visits" ? 0.35 : 0.5, stroke: colour },
            title(key === "visits" ? `${item.type || "stay"}: ${item.start} → ${item.end || "?"}` : `${item.name}: ${item.start} → ${item.end || "?"}`)));
        } else if (key === "conditions") {
          const x = scale.x(item.date);
          g.append(svg("path", { d: `M ${x} ${mid - 7} L ${x + 6} ${mid} L ${x} ${mid + 7} L ${x - 6} ${mid} Z`, fill: colour, "fill-opacity": 0.7 },
            title(`${item.date}: ${item.code || ""} ${item.name || ""}`)));
        } else {
          const x = scale.x(item.date);
          g.append(clickable(svg("circle", { cx: x, cy: mid, r: 6, fill: colour, class: "note-mark", "data-note": item.id },
            title(`${item.date}: ${item.title || "report"}`)), item));
        }
      }
      chart.append(g);
    });
    return chart;
  }

  function curve(series, scale) {
    const H = 96, top = 24, bottom = 10;
    const values = series.points.map(([, v]) => v);
    let lo = Math.min(...values), hi = Math.max(...values);
    if (lo === hi) { lo -= 1; hi += 1; }
    const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
    const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${H}`, role: "img", "aria-label": `${series.name}, ${series.points.length} values`, class: "lab-chart" });
    chart.append(svg("text", { x: LEFT, y: 12, class: "lab-name" }, `${series.name}${series.unit ? ` (${series.unit})` : ""}`));
    if (series.low !== null && series.high !== null && series.low >= lo && series.high <= hi) {
      chart.append(svg("rect", { x: LEFT, y: y(series.high), width: WIDTH - LEFT - RIGHT, height: Math.max(y(series.low) - y(series.high), 1), fill: "#067647", "fill-opacity": 0.08 }, title(`normal range ${series.low}–${series.high}`)));
    }
    chart.append(svg("text", { x: LEFT - 6, y: y(hi) + 4, "text-anchor": "end" }, String(+hi.toPrecision(4))),
      svg("text", { x: LEFT - 6, y: y(lo) + 4, "text-anchor": "end" }, String(+lo.toPrecision(4))));
    const d = series.points.map(([t, v], i) => `${i ? "L" : "M"} ${scale.x(t).toFixed(1)} ${y(v).toFixed(1)}`).join(" ");
    chart.append(svg("path", { d, fill: "none", stroke: "#0b5cad", "stroke-width": 1.5 }));
    for (const [t, v] of series.points) {
      chart.append(svg("circle", { cx: scale.x(t), cy: y(v), r: 2.5, fill: "#0b5cad" }, title(`${t}: ${v}${series.unit ? " " + series.unit : ""}`)));
    }
    return chart;
  }

  function notesList(p) {
    if (!p.notes) return [el("li", { class: "muted" }, "Reports are outside this project's perimeter.")];
    if (!p.notes.length) return [el("li", { class: "muted" }, "No report.")];
    return p.notes.map((n) => el("li", {},
      el("button", { type: "button", class: "link", onclick: () => showNote(n) }, `${n.date} · ${n.title || "report"}`),
      el("div", { class: "muted excerpt" }, n.text)));
  }

  async function load() {
    try {
      const p = await entrepot.api(`/api/patients/${person}`, { query: { project: root.dataset.project } });
      const who = p.person;
      $("patient-summary").textContent = `Patient ${who.person_id} · ${who.sex || "sex unknown"} · born ${who.year_of_birth ?? "?"} · ` +
        `${(p.visits || []).length} stays, ${(p.conditions || []).length} diagnoses, ${(p.drugs || []).length} drug exposures, ${(p.notes || []).length} reports`;
      const scale = domain(p);
      $("timeline").replaceChildren(scale ? timeline(p, scale) : el("p", { class: "muted" }, "Nothing dated to show."));
      $("timeline-legend").replaceChildren(...LANES.filter(([k]) => p[k] === null).map(([, label]) => el("li", { class: "muted" }, `${label}: outside this project's perimeter`)));
      $("patient-notes").replaceChildren(...notesList(p));
      const labs = p.labs || [];
      $("lab-curves").replaceChildren(...(labs.length && scale ? labs.map((s) => curve(s, scale)) : [el("p", { class: "muted" }, p.labs ? "No lab result." : "Lab results are outside this project's perimeter.")]));
    } catch (e) {
      $("patient-summary").textContent = "";
      entrepot.showError($("patient-error"), e);
    }
  }

  document.addEventListener("entrepot:ready", load);
  document.addEventListener("entrepot:project", (e) => {
    location.href = `/patients/${person}?project=${encodeURIComponent(e.detail)}`;
  });
})();
