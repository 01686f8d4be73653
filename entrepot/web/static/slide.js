// The deep-zoom viewer of one slide: Deep Zoom (DZI) tiles placed in a box that pans (drag) and
// zooms (wheel, buttons), with a model's heatmap laid over the slide. Only the tiles in view are
// asked for, at the level that matches the zoom.
"use strict";

(() => {
  const { t, el } = entrepot;
  const root = document.getElementById("slide");
  const $ = (id) => document.getElementById(id);
  const id = root.dataset.slide;
  const project = root.dataset.project;
  const base = `/api/slides/${id}`;
  const query = project ? `?project=${encodeURIComponent(project)}` : "";
  const viewer = $("viewer");
  const layer = el("div", { class: "viewer-layer" });
  const overlay = el("img", { class: "heatmap", alt: "", hidden: true });
  viewer.append(layer, overlay);

  let info, tileSize, deepest, zoom = 1, cx = 0, cy = 0; // zoom: screen px per slide px
  const shown = new Map(); // "level/column_row" -> img

  function fit() {
    zoom = Math.min(viewer.clientWidth / info.width, viewer.clientHeight / info.height);
    cx = info.width / 2;
    cy = info.height / 2;
  }

  function draw() {
    const level = Math.max(0, Math.min(deepest, deepest + Math.ceil(Math.log2(zoom))));
    const scale = 2 ** (deepest - level); // slide px per level px
    const span = tileSize * scale; // slide px a tile covers
    const x0 = cx - viewer.clientWidth / 2 / zoom, y0 = cy - viewer.clientHeight / 2 / zoom;
    const x1 = cx + viewer.clientWidth / 2 / zoom, y1 = cy + viewer.clientHeight / 2 / zoom;
    const keep = new Set();
    for (let row = Math.max(0, Math.floor(y0 / span)); row * span < Math.min(y1, info.height); row++) {
      for (let column = Math.max(0, Math.floor(x0 / span)); column * span < Math.min(x1, info.width); column++) {
        const key = `${level}/${column}_${row}`;
        keep.add(key);
        let img = shown.get(key);
        if (!img) {
          img = el("img", { class: "tile", alt: "", src: `${base}/slide_files/${key}.jpeg${query}` });
          img.addEventListener("load", () => { viewer.dataset.loaded = String(Number(viewer.dataset.loaded || 0) + 1); });
          shown.set(key, img);
          layer.append(img);
        }
        const w = Math.min(span, info.width - column * span), h = Math.min(span, info.height - row * span);
        Object.assign(img.style, {
          left: `${(column * span - x0) * zoom}px`, top: `${(row * span - y0) * zoom}px`,
          width: `${w * zoom}px`, height: `${h * zoom}px`,
        });
      }
    }
    for (const [key, img] of shown) if (!keep.has(key)) { img.remove(); shown.delete(key); }
    if (info.heatmap) {
      Object.assign(overlay.style, {
        left: `${-x0 * zoom}px`, top: `${-y0 * zoom}px`,
        width: `${info.heatmap.cells[0] * info.heatmap.cell * zoom}px`,
        height: `${info.heatmap.cells[1] * info.heatmap.cell * zoom}px`,
      });
    }
  }

  function zoomBy(factor, sx = viewer.clientWidth / 2, sy = viewer.clientHeight / 2) {
    const px = cx + (sx - viewer.clientWidth / 2) / zoom, py = cy + (sy - viewer.clientHeight / 2) / zoom;
    const limit = 4; // at most 4 screen px per slide px
    zoom = Math.min(limit, Math.max(zoom * factor, 1 / 2 ** deepest));
    cx = px - (sx - viewer.clientWidth / 2) / zoom;
    cy = py - (sy - viewer.clientHeight / 2) / zoom;
    draw();
  }

  function interact() {
    $("zoom-in").addEventListener("click", () => zoomBy(2));
    $("zoom-out").addEventListener("click", () => zoomBy(0.5));
    $("zoom-fit").addEventListener("click", () => { fit(); draw(); });
    viewer.addEventListener("wheel", (e) => {
      e.preventDefault();
      const box = viewer.getBoundingClientRect();
      zoomBy(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - box.left, e.clientY - box.top);
    }, { passive: false });
    let drag = null;
    viewer.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY]; viewer.setPointerCapture(e.pointerId); });
    viewer.addEventListener("pointermove", (e) => {
      if (!drag) return;
      cx -= (e.clientX - drag[0]) / zoom;
      cy -= (e.clientY - drag[1]) / zoom;
      drag = [e.clientX, e.clientY];
      draw();
    });
    viewer.addEventListener("pointerup", () => { drag = null; });
    viewer.addEventListener("keydown", (e) => {
      const step = 100 / zoom;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (e.key === "+") zoomBy(2);
      else if (e.key === "-") zoomBy(0.5);
      else if (moves[e.key]) { cx += moves[e.key][0]; cy += moves[e.key][1]; draw(); }
      else return;
      e.preventDefault();
    });
    window.addEventListener("resize", draw);
  }

  function heatmap() {
    const box = $("heatmap-on");
    if (!info.heatmap) { $("heatmap-note").textContent = t("slide.no_heatmap"); return; }
    overlay.src = `${base}/heatmap.png${query}`;
    box.disabled = false;
    box.addEventListener("change", () => { overlay.hidden = !box.checked; });
  }

  async function load() {
    try {
      info = await entrepot.api(base, { query: { project } });
      const dzi = new DOMParser().parseFromString(await entrepot.api(`${base}/slide.dzi`, { query: { project } }), "application/xml");
      tileSize = Number(dzi.documentElement.getAttribute("TileSize"));
      deepest = Math.ceil(Math.log2(Math.max(info.width, info.height)));
      $("slide-meta").textContent = t("slide.meta", {
        person: info.person_id, date: info.date, specimen: info.specimen_id ?? "–",
        width: info.width, height: info.height, mpp: info.mpp ?? "?", stain: info.stain ?? "?", levels: info.levels.length });
      fit();
      interact();
      heatmap();
      draw();
    } catch (e) {
      $("slide-meta").textContent = "";
      entrepot.showError($("slide-error"), e);
    }
  }

  document.addEventListener("entrepot:ready", load);
  document.addEventListener("entrepot:project", (e) => {
    location.href = `/slides/${id}?project=${encodeURIComponent(e.detail)}`;
  });
})();
