// What every page shares: calling the API, the project selector, small DOM helpers,
// the page's messages in the user's language.
"use strict";

const entrepot = (() => {
  // The message catalogue of the page's language (served by the page as JSON).
  const messages = JSON.parse(document.getElementById("entrepot-messages")?.textContent || "{}");
  const locale = document.documentElement.lang === "en" ? "en-GB" : "fr-FR";

  // A message: t("co.saved_as", { id: 3 }); its {name} placeholders filled from `params`.
  function t(key, params = {}) {
    const text = messages[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  }

  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content;
  const projectKey = "entrepot.project";
  // Settled once the project selector is filled: a call made before (a quick click) waits for it,
  // instead of going out without the project and being refused.
  let settle;
  const ready = new Promise((resolve) => { settle = resolve; });

  function project() {
    const select = document.getElementById("project");
    return select ? select.value : "";
  }

  // Call the JSON API with the session cookie; `project` is added unless given.
  async function api(path, { method = "GET", body, query = {}, form } = {}) {
    const url = new URL(path, location.origin);
    if (!("project" in query)) await ready;
    const p = "project" in query ? query.project : project();
    if (p) url.searchParams.set("project", p);
    for (const [k, v] of Object.entries(query)) {
      if (k === "project" || v === undefined || v === null || v === "") continue;
      if (Array.isArray(v)) v.forEach((x) => url.searchParams.append(k, x)); // a repeated parameter
      else url.searchParams.set(k, v);
    }
    const headers = { "X-CSRF-Token": csrf() || "" };
    let payload;
    if (form) payload = form;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    if (response.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); throw new Error(t("app.logged_out")); }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) throw failure(data, response);
    return data;
  }

  // An error answer ({detail, code, message}) as an Error: its message says both the friendly
  // message in the page's language and the technical detail; each is kept apart for showError.
  function failure(data, response) {
    const friendly = data?.message || response.statusText;
    const detail = typeof data?.detail === "string" ? data.detail : "";
    const error = new Error(detail ? `${friendly} (${detail})` : friendly);
    return Object.assign(error, { friendly, detail, code: data?.code, status: response.status });
  }

  // Poll a background job until it ends; `onProgress(job)` on each step. A job is asked for within
  // the project it was started in: `query` ({project: ""} for one started warehouse-wide).
  async function wait(jobId, onProgress, query = {}) {
    for (;;) {
      const job = await api(`/api/jobs/${jobId}`, { query });
      if (onProgress) onProgress(job);
      if (job.state === "done") return job.result;
      if (job.state === "failed") throw new Error(job.error);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  // Create an element: el("td", {class: "n"}, "text", child...). Text is never parsed as HTML.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  // A snippet from the search index: text with <b>…</b> around matches. Everything else is escaped
  // (as HTML entities, decoded here into text: nothing is ever parsed as HTML).
  const entity = (s) => s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const named = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e.toLowerCase()];
    return named ?? String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
  function highlighted(snippet) {
    const span = document.createElement("span");
    snippet.split(/(<b>.*?<\/b>)/).forEach((part) => {
      const m = part.match(/^<b>(.*)<\/b>$/);
      span.append(m ? el("mark", {}, entity(m[1])) : entity(part));
    });
    return span;
  }

  function fmt(n) { return typeof n === "number" ? n.toLocaleString(locale) : String(n); }

  // An error in its place: the friendly message, then the detail in smaller type.
  function showError(where, error) {
    where.replaceChildren(el("div", { class: "error", role: "alert" },
      el("p", {}, error.friendly || error.message || String(error)),
      error.detail ? el("p", { class: "error-detail" }, error.detail) : null));
  }

  async function fillProjects() {
    try {
      await chooseProject();
    } finally {
      settle();
    }
  }

  async function chooseProject() {
    const select = document.getElementById("project");
    if (!select) return;
    const me = await api("/api/me", { query: { project: "" } });
    const wide = ["admin", "data_engineer"].includes(me.role);
    const options = (wide ? [["", t("app.whole_warehouse")]] : []).concat(me.projects.map((p) => [p, p]));
    if (!options.length) options.push(["", t("app.no_project")]);
    select.replaceChildren(...options.map(([v, t]) => el("option", { value: v }, t)));
    const fromUrl = new URLSearchParams(location.search).get("project");
    const saved = fromUrl ?? localStorage.getItem(projectKey);
    if (saved !== null && options.some(([v]) => v === saved)) select.value = saved;
    select.addEventListener("change", () => {
      localStorage.setItem(projectKey, select.value);
      document.dispatchEvent(new CustomEvent("entrepot:project", { detail: select.value }));
    });
    document.dispatchEvent(new CustomEvent("entrepot:ready", { detail: select.value }));
  }

  document.addEventListener("DOMContentLoaded", fillProjects);
  return { api, wait, el, entity, highlighted, fmt, showError, project, t, locale };
})();
