// One patient's timeline: stays, diagnoses, drugs and reports on one time axis; then stay by stay
// its diagnoses (CIM-10 labels) and drugs as bars on the stay's axis; labs as small multiples, one
// stay at a time on that stay's own axis; reports with the search's words marked and their negated,
// hypothetical and family passages shown as such (built as text: a report's HTML shows as text).
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
  const CONTEXTS = { negated: t("patient.ctx_negated"), hypothesis: t("patient.ctx_hypothesis"), family: t("patient.ctx_family") };
  let labStays = [];
  let shownNote = null;

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) node.append(typeof c === "string" ? document.createTextNode(c) : c);
    return node;
  }
  const title = (text) => svg("title", {}, text);
  const time = (d) => new Date(d + "T00:00:00Z").getTime();

  // A time scale from `lo` to `hi` (milliseconds) onto the chart's width, right of `left`.
  function scaleOf(lo, hi, left = LEFT) {
    return { lo, hi, left, x: (d) => left + ((time(d) - lo) / (hi - lo)) * (WIDTH - left - RIGHT) };
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
    g.append(svg("line", { x1: scale.left, x2: WIDTH - RIGHT, y1: y, y2: y, stroke: "#5b6775" }));
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

  // The text as nodes: <mark> around the query's words, each negated, hypothetical or family passage
  // in a span of its own, labelled ("nié"...). Text only: nothing is parsed as HTML.
  function marked(text, highlights, passages) {
    const cuts = new Set([0, text.length]);
    for (const [a, b] of highlights) cuts.add(a).add(b);
    for (const p of passages) cuts.add(p.start).add(p.end);
    const points = [...cuts].sort((a, b) => a - b);
    const out = [];
    let open = null; // [passage, its span]
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i], piece = text.slice(a, points[i + 1]);
      const hit = highlights.some(([s, e]) => s <= a && a < e);
      const node = hit ? el("mark", {}, piece) : document.createTextNode(piece);
      const passage = passages.find((p) => p.start <= a && a < p.end);
      if (!passage) { open = null; out.push(node); continue; }
      if (!open || open[0] !== passage) {
        const label = CONTEXTS[passage.context];
        open = [passage, el("span", { class: `ctx ctx-${passage.context}`, "data-context": passage.context, title: label },
          el("span", { class: "ctx-tag" }, label))];
        out.push(open[1]);
      }
      open[1].append(node);
    }
    return out;
  }

  function showNote(note) {
    shownNote = note;
    noteSlides(note);
    $("note-title").textContent = note.title || t("patient.report");
    $("note-meta").textContent = t("patient.note_meta", { date: note.date, id: note.id });
    $("note-meta").dataset.note = note.id;
    $("note-text").textContent = note.text;
    const q = $("note-query").value.trim();
    entrepot.api(`/api/patients/${person}/notes/${note.id}`, { query: q ? { q } : {} })
      .then((full) => {
        if ($("note-meta").dataset.note === String(note.id)) {
          $("note-text").replaceChildren(...marked(full.text || "", full.highlights, full.passages));
        }
      })
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
    return clickable(mark, () => openStay(item.id));
  }

  // A stay's panel opened, and its labs drawn where it has some.
  function openStay(id) {
    const panel = document.querySelector(`#stays details[data-visit="${id}"]`);
    if (panel) { panel.open = true; panel.querySelector("summary").focus(); }
    showStayLabs(id);
  }

  function showStayLabs(id) {
    const labs = labStays.findIndex((s) => s.visit_id === id);
    if (labs < 0) return;
    $("lab-stay").value = String(labs);
    showLabs();
  }

  // Drugs as bars from their start to their end, on an axis holding the stay and them.
  function drugBars(drugs, stay) {
    const days = drugs.flatMap((d) => [d.start, d.end || d.start]).concat(stay ? [stay.start, stay.end || stay.start] : []);
    const found = days.filter(Boolean).map(time);
    const scale = scaleOf(Math.min(...found) - DAY / 2, Math.max(...found) + DAY / 2, 300);
    const rowH = 18, height = drugs.length * rowH + 6;
    const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${height + 24}`, role: "img", class: "drug-chart",
      "aria-label": t("patient.drug_bars", { n: drugs.length }) });
    chart.append(axis(scale, height));
    drugs.forEach((d, i) => {
      const y = 4 + i * rowH, name = d.name || d.label || "?";
      const x1 = scale.x(d.start), x2 = Math.max(scale.x(d.end || d.start), x1 + 3);
      chart.append(svg("text", { x: 4, y: y + 12 }, name.length > 44 ? `${name.slice(0, 43)}…` : name),
        svg("rect", { x: x1, y: y + 2, width: x2 - x1, height: rowH - 6, fill: "#067647", "fill-opacity": 0.6, class: "drug-bar" },
          title(`${name}: ${d.start} → ${d.end || "?"}`)));
    });
    return chart;
  }

  // One stay's panel: its diagnoses labelled, its drugs as bars, a way to its labs.
  function stayPanel(stay, conditions, drugs, p) {
    const head = stay
      ? t("patient.stay_head", { type: stay.type || t("patient.stay"), start: stay.start, end: stay.end || "?" })
      : t("patient.outside_stays");
    const panel = el("details", { class: "stay", "data-visit": stay ? stay.id : "" },
      el("summary", {}, head, " ", el("span", { class: "muted" },
        t("patient.stay_counts", { diagnoses: conditions.length, drugs: drugs.length }))));
    if (p.conditions) {
      panel.append(el("h3", {}, t("patient.lane.conditions")), conditions.length
        ? el("ul", { class: "stay-diagnoses" }, ...conditions.map((c) => el("li", {},
          el("span", { class: "code" }, c.code || "?"), " ", c.name || "", " ", el("span", { class: "muted" }, c.date))))
        : el("p", { class: "muted" }, t("patient.stay_no_diagnosis")));
    }
    if (p.drugs) {
      panel.append(el("h3", {}, t("patient.lane.drugs")), drugs.length
        ? drugBars(drugs, stay) : el("p", { class: "muted" }, t("patient.stay_no_drug")));
    }
    if (stay && labStays.some((s) => s.visit_id === stay.id)) {
      panel.append(el("p", {}, el("button", { type: "button", class: "secondary", onclick: () => {
        showStayLabs(stay.id);
        $("labs-title").scrollIntoView();
      } }, t("patient.stay_labs"))));
    }
    return panel;
  }

  // The timeline grouped by stay, the latest first (open); what no stay holds last.
  function stays(p) {
    const visits = p.visits || [];
    const known = new Set(visits.map((v) => v.id));
    const of = (items, id) => (items || []).filter((x) => (id === null ? !known.has(x.visit_id) : x.visit_id === id));
    const panels = [...visits].reverse().map((v) => stayPanel(v, of(p.conditions, v.id), of(p.drugs, v.id), p));
    const loose = [of(p.conditions, null), of(p.drugs, null)];
    if (loose[0].length || loose[1].length) panels.push(stayPanel(null, loose[0], loose[1], p));
    if (panels.length) panels[0].open = true;
    const said = p.visits ? (panels.length ? [] : [t("patient.no_stay")]) : [t("patient.stays_outside")];
    $("stays").replaceChildren(...said.map((text) => el("p", { class: "muted" }, text)), ...panels);
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
      stays(p);
      const scale = domain(p);
      $("timeline").replaceChildren(scale ? timeline(p, scale) : el("p", { class: "muted" }, t("patient.nothing_dated")));
      $("timeline-legend").replaceChildren(...LANES.filter(([k]) => p[k] === null).map(([, label]) => el("li", { class: "muted" }, t("patient.lane_outside", { label }))));
      $("patient-notes").replaceChildren(...notesList(p));
      const first = (p.notes || []).find((n) => String(n.id) === root.dataset.note);
      if (first) showNote(first);
      await loadSlides();
    } catch (e) {
      $("patient-summary").textContent = "";
      entrepot.showError($("patient-error"), e);
    }
  }

  $("lab-stay").addEventListener("change", showLabs);
  $("note-query-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (shownNote) showNote(shownNote);
  });
  document.addEventListener("entrepot:ready", load);
  document.addEventListener("entrepot:project", (e) => {
    const q = $("note-query").value.trim();
    location.href = `/patients/${person}?project=${encodeURIComponent(e.detail)}${q ? `&q=${encodeURIComponent(q)}` : ""}`;
  });
})();
