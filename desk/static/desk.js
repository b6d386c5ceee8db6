// The desk's queue page: while the agent is available, check every 10 seconds for a waiting
// caller and take them (the form posts with its CSRF token; the ticket then opens).
(function () {
  "use strict";
  var box = document.getElementById("availability");
  var form = document.getElementById("take-call");
  if (!box || !form || box.dataset.available !== "1") {
    return;
  }
  var count = document.getElementById("waiting-count");
  function check() {
    fetch(box.dataset.waitingUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (count) { count.textContent = String(data.waiting); }
        if (data.available && data.waiting > 0) { form.submit(); }
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ });
  }
  window.setInterval(check, 10000);
}());
