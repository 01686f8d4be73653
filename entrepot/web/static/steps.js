// What the researcher's requests page and the data office's page both show: each step of a
// request or extract (what, who, when, the comment), its state, and a table of them.
"use strict";

(() => {
  const { el, t } = entrepot;

  function steps(items) {
    return el("ul", { class: "steps" }, items.map((s) => el("li", { "data-event": s.event },
      t(`rq.event.${s.event}`), " · ", s.by, " · ", s.at.replace("T", " "), s.comment ? ` · ${s.comment}` : "")));
  }

  function state(value) {
    return el("span", { class: `state state-${value}`, "data-state": value }, t(`rq.state.${value}`));
  }

  function rows(table, items, cells, empty) {
    const span = table.tHead.rows[0].cells.length;
    table.tBodies[0].replaceChildren(...(items.length
      ? items.map((item) => el("tr", { "data-id": item.request_id ?? item.extract_id }, cells(item).map((c) => el("td", {}, c))))
      : [el("tr", {}, el("td", { colspan: span, class: "muted" }, empty))]));
  }

  entrepot.steps = { rows, state, steps };
})();
