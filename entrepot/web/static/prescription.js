// Virtual prescription: interactions by level, a wheel of the interacting pairs, and the
// possible adverse effects by organ system (filtered by frequency, searched, on the server).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { el, t } = entrepot;
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = {
    "contre-indication": "#b42318",
    "association-deconseillee": "#b54708",
    "precaution-emploi": "#d4a000",
    "a-prendre-en-compte": "#667085",
  };
  const levelClass = (level) => `level-${level === "precaution-emploi" ? "precaution-d-emploi" : level}`;

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) node.append(c);
    return node;
  }

  const drugName = (d) => d.name || d.input;

  function table(result) {
    if (!result.interactions.length) return el("p", {}, t("rx.none"));
    const groups = Object.keys(result.levels)
      .map((level) => [level, result.interactions.filter((it) => it.level === level)])
      .filter(([, items]) => items.length);
    return el("div", {}, groups.map(([level, items]) => el("section", { class: "level-group" },
      el("h3", {}, el("span", { class: `badge ${levelClass(level)}` }, result.levels[level]), ` (${items.length})`),
      el("table", {},
        el("thead", {}, el("tr", {}, el("th", {}, t("rx.drugs")), el("th", {}, t("rx.risk")), el("th", {}, t("rx.conduct")))),
        el("tbody", {}, items.map((it) => el("tr", { class: "interaction", "data-level": it.level },
          el("td", {}, `${drugName(result.drugs[it.a])} + ${drugName(result.drugs[it.b])}`,
            el("div", { class: "muted" }, it.rules.map((r) => r.join(" + ")).join("; "))),
          el("td", {}, it.risk),
          el("td", {}, [it.condition, it.conduct, it.why].filter(Boolean).join(" ") || "—", notes(it)))))))));
  }

  // The dose condition of the level (unmet: shown as a warning) and a route that is a guess.
  function notes(it) {
    const out = [];
    if (it.dose_condition) {
      const text = { text: it.dose_condition.text };
      const met = { true: t("rx.dose_met", text), false: t("rx.dose_unmet", text), null: t("rx.dose_unknown", text) };
      out.push(el("div", { class: it.dose_condition.met === false ? "error" : "muted" }, met[it.dose_condition.met]));
    }
    if (it.route_doubt) out.push(el("div", { class: "error" }, t("rx.route_doubt", { doubt: it.route_doubt })));
    return out;
  }

  function wheel(result) {
    const involved = [...new Set(result.interactions.flatMap((it) => [it.a, it.b]))];
    const shown = result.drugs.filter((d) => d.recognized).map((d) => d.line);
    const nodes = [...new Set([...shown, ...involved])];
    if (nodes.length < 2) return el("p", { class: "muted" }, t("rx.two_needed"));
    const size = 360, c = size / 2, r = 120;
    const at = new Map(nodes.map((line, i) => {
      const angle = (2 * Math.PI * i) / nodes.length - Math.PI / 2;
      return [line, [c + r * Math.cos(angle), c + r * Math.sin(angle), angle]];
    }));
    const root = svg("svg", { viewBox: `0 0 ${size} ${size}`, role: "img", "aria-label": t("rx.wheel_label"), class: "wheel" });
    root.append(svg("circle", { cx: c, cy: c, r, fill: "none", stroke: "#d7dde4" }));
    for (const it of [...result.interactions].reverse()) { // most severe drawn last, on top
      const [x1, y1] = at.get(it.a), [x2, y2] = at.get(it.b);
      const path = svg("path", {
        d: `M ${x1} ${y1} Q ${c} ${c} ${x2} ${y2}`, fill: "none",
        stroke: COLOURS[it.level], "stroke-width": 4, "stroke-linecap": "round", class: "arc",
        "data-level": it.level,
      }, svg("title", {}, document.createTextNode(
        `${result.levels[it.level]}: ${drugName(result.drugs[it.a])} + ${drugName(result.drugs[it.b])}. ${it.risk}`)));
      root.append(path);
    }
    for (const line of nodes) {
      const [x, y, angle] = at.get(line);
      const d = result.drugs[line];
      const right = Math.cos(angle) >= 0;
      const label = svg("text", {
        x: c + (r + 10) * Math.cos(angle), y: c + (r + 10) * Math.sin(angle) + 4,
        "text-anchor": Math.abs(Math.cos(angle)) < 0.2 ? "middle" : right ? "start" : "end",
      }, document.createTextNode(drugName(d).slice(0, 28)));
      root.append(svg("g", {},
        svg("circle", { cx: x, cy: y, r: 6, fill: "#0b5cad" }, svg("title", {}, document.createTextNode(`${d.input} (${d.atc.join(", ")})`))),
        label));
    }
    return root;
  }

  function swatch(level) {
    const node = el("span", { class: "swatch", "aria-hidden": "true" });
    node.style.background = COLOURS[level];
    return node;
  }

  function legend(result) {
    return Object.entries(result.levels).map(([level, name]) => el("li", {},
      swatch(level), " ", name));
  }

  function drugs(result) {
    return result.drugs.map((d) => el("tr", { class: d.recognized ? "" : "unrecognized" },
      el("td", { class: "n" }, d.line + 1), el("td", {}, d.input),
      el("td", {}, d.recognized ? d.substances.join(", ") : t("rx.not_recognised")),
      el("td", {}, d.atc.slice(0, 3).join(", ")),
      el("td", { title: d.route_doubt }, `${d.route || ""}${d.route_doubt ? " ?" : ""}`)));
  }

  // The effects of the checked lines, by organ: each organ with its count, its effects with
  // their frequency and the lines (1-based) that give them.
  function organs(result) {
    const source = el("p", { class: "muted" }, t("rx.effects_source", { source: result.source }));
    if (!result.organs.length) return [el("p", {}, t("rx.effects_none")), source];
    return [...result.organs.map((o) => el("section", { class: "organ level-group", "data-organ": o.organ },
      el("h3", {}, o.organ, " (", el("span", { class: "organ-count" }, o.count), ")"),
      el("table", {}, el("tbody", {}, o.effects.map((e) => el("tr", { class: "effect", "data-frequency": e.frequency },
        el("td", {}, e.term), el("td", {}, e.frequency),
        el("td", { class: "muted" }, t("rx.effects_lines", { lines: e.lines.map((n) => n + 1).join(", ") })))))))),
      source];
  }

  let checked = null; // the text last checked: what the effect filters apply to
  let asked = 0; // the latest request: an answer to an earlier one is dropped
  async function showEffects() {
    if (checked === null) return;
    const mine = ++asked;
    const body = { text: checked, frequency: $("effects-frequency").value || null, search: $("effects-search").value.trim() || null };
    try {
      const result = await entrepot.api("/api/prescriptions/effects", { method: "POST", body, query: { project: "" } });
      if (mine !== asked) return;
      const select = $("effects-frequency");
      if (select.options.length === 1) select.append(...result.frequencies.map((f) => el("option", { value: f }, f)));
      $("effects").replaceChildren(...organs(result));
    } catch (e) {
      entrepot.showError($("effects"), e);
    }
  }

  async function check(event) {
    event.preventDefault();
    const text = $("prescription-lines").value;
    if (!text.trim()) return;
    $("prescription-error").replaceChildren();
    $("check-button").disabled = true;
    try {
      const result = await entrepot.api("/api/prescriptions/check", { method: "POST", body: { text }, query: { project: "" } });
      const unknown = result.unrecognized.length
        ? el("p", { class: "error" }, t("rx.unrecognised", { lines: result.unrecognized.map((d) => t("rx.unrecognised_line", { n: d.line + 1, input: d.input })).join(", ") }))
        : null;
      $("interactions").replaceChildren(...[unknown, table(result)].filter(Boolean));
      $("interaction-wheel").replaceChildren(wheel(result));
      $("wheel-legend").replaceChildren(...legend(result));
      document.querySelector("#prescription-drugs tbody").replaceChildren(...drugs(result));
      checked = text;
      await showEffects();
    } catch (e) {
      entrepot.showError($("prescription-error"), e);
    } finally {
      $("check-button").disabled = false;
    }
  }

  $("prescription-form").addEventListener("submit", check);
  $("effects-frequency").addEventListener("change", showEffects);
  let typing;
  $("effects-search").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(showEffects, 300); });
})();
