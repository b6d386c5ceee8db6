// The wallboard refreshes its own figures: it asks the server for the texts of every cell
// every few seconds and writes them in place, without reloading the page.
(function () {
  "use strict";
  const board = document.getElementById("wallboard");
  if (!board) return;
  const source = board.dataset.source;
  const every = (Number(board.dataset.interval) || 5) * 1000;
  const stale = board.querySelector(".stale");

  function rows(body, lines, classOf) {
    const fresh = lines.map(function (line) {
      const row = document.createElement("tr");
      if (classOf) row.className = classOf(line);
      (line.cells || line).forEach(function (text) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      });
      return row;
    });
    body.replaceChildren.apply(body, fresh);
  }

  function show(data) {
    Object.keys(data.cells).forEach(function (key) {
      board.querySelectorAll('[data-cell="' + CSS.escape(key) + '"]').forEach(function (el) {
        if (el.textContent !== data.cells[key]) el.textContent = data.cells[key];
        if (el.tagName === "DD") el.classList.toggle("words", !/^[0-9]/.test(data.cells[key]));
      });
    });
    const alerts = document.getElementById("alerts");
    const items = data.alerts.map(function (text) {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    });
    alerts.replaceChildren.apply(alerts, items);
    alerts.parentElement.querySelector(".calm").hidden = items.length > 0;
    rows(document.getElementById("agents"), data.agents, function (agent) { return agent.state; });
    document.getElementById("no-agents").hidden = data.agents.length > 0;
  }

  function refresh() {
    fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok || !response.headers.get("Content-Type").startsWith("application/json")) {
          throw new Error("refresh refused");
        }
        return response.json();
      })
      .then(function (data) { show(data); stale.hidden = true; board.dataset.refreshed = String(Date.now()); })
      .catch(function () { stale.hidden = false; })
      .finally(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
