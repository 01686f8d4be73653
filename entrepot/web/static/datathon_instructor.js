// The instructor's page of a datathon: progress, every submission, the final ranking and grades.
"use strict";

(() => {
  const { api, el, showError, t } = entrepot;
  const $ = (id) => document.getElementById(id);
  const score = (s) => (s === null ? "—" : s.toFixed(4));
  const cells = (...values) => values.map((v, i) => el("td", i > 1 && typeof v !== "string" ? { class: "n" } : {}, v));

  async function load() {
    const shown = await api("/api/admin/datathon", { query: { project: "" } });
    $("progress-summary").textContent = t("dt.summary", { task: shown.task, metric: shown.metric, n: shown.submissions.length });
    $("phase-select").value = shown.phase;
    $("grades").tBodies[0].replaceChildren(...shown.grades.map((r) => el("tr", {},
      cells(r.rank ?? "—", r.team, score(r.score), r.grade.toFixed(1), r.submissions))));
    $("submissions").tBodies[0].replaceChildren(...shown.submissions.map((s) => el("tr", {},
      cells(s.id, s.team, s.submitted_at, s.file, score(s.public_score), score(s.private_score)))));
  }

  $("phase-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/api/admin/datathon/phase", { method: "POST", body: { phase: $("phase-select").value }, query: { project: "" } });
      await load();
    } catch (error) {
      showError($("progress-summary"), error);
    }
  });

  load().catch((error) => showError($("progress-summary"), error));
})();
