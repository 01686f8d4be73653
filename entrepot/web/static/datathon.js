// A datathon team's page: submit a CSV file, read the public leaderboard.
"use strict";

(() => {
  const { api, el, showError, t } = entrepot;
  const $ = (id) => document.getElementById(id);
  const score = (s) => (s === null ? "—" : s.toFixed(4));

  async function loadBoard() {
    let board = await api("/api/datathon/leaderboard");
    if (board.phase === "closed") board = await api("/api/datathon/leaderboard", { query: { private: true } });
    $("board-phase").textContent = t(`phase.${board.phase}`);
    $("board").tBodies[0].replaceChildren(...board.rows.map((r) => el("tr", {},
      el("td", {}, r.rank ?? "—"), el("td", {}, r.team),
      el("td", { class: "n" }, score(r.score)), el("td", { class: "n" }, r.submissions))));
  }

  $("submit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("submit-file").files[0];
    const where = $("submit-result");
    try {
      const done = await api("/api/datathon/submissions", { method: "POST", form: file, query: { filename: file.name } });
      where.replaceChildren(el("p", { class: "ok" }, done.public_score === null
        ? t("dt.submitted_blind", { id: done.submission_id })
        : t("dt.submitted", { id: done.submission_id, score: score(done.public_score) })));
      await loadBoard();
    } catch (error) {
      showError(where, error);
    }
  });

  loadBoard().catch((error) => showError($("submit-result"), error));
})();
