// The desk's queue page, live without reloading: every few seconds it asks the server who waits
// in the agent's languages (a small JSON answer), updates the count and the list of callers,
// and tells an available agent when a new caller waits (a short tone and, with permission, a
// browser notification). Taking a caller stays the agent's click. Every word comes from the
// page (the server's catalogs): nothing to translate here.
(function () {
  "use strict";
  var box = document.getElementById("availability");
  if (!box || !window.fetch) {
    return;
  }
  var available = box.dataset.available === "1";
  var count = document.getElementById("waiting-count");
  var ringing = document.getElementById("ringing");
  var onCall = document.getElementById("on-call");
  var takeNext = document.getElementById("take-next");
  var list = document.getElementById("waiting-callers");
  var row = document.getElementById("waiting-caller");
  var permission = document.getElementById("enable-notifications");
  var seen = {};
  var audio = null;

  if (list) {
    Array.prototype.forEach.call(list.children, function (item) { seen[item.dataset.ticket] = true; });
  }

  function tone() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + 0.6);
    } catch (error) { /* no sound here: the count and the notification still tell */ }
  }

  function notify() {
    tone();
    if ("Notification" in window && Notification.permission === "granted") {
      new Notification(box.dataset.notifyTitle, { body: box.dataset.notifyBody, tag: "desk-waiting" });
    }
  }

  if (permission && "Notification" in window && Notification.permission === "default") {
    permission.hidden = false;
    permission.addEventListener("click", function () {
      tone();  // a click lets the page play the tone later
      Notification.requestPermission().then(function () { permission.hidden = true; });
    });
  }

  function show(callers) {
    if (!list || !row) { return; }
    var fresh = false;
    var now = {};
    list.textContent = "";
    callers.forEach(function (caller) {
      var item = row.content.firstElementChild.cloneNode(true);
      item.dataset.ticket = String(caller.ticket);
      item.querySelector(".reference").textContent = caller.reference;
      item.querySelector(".language").textContent = caller.language_name;
      item.querySelector(".waited").textContent = caller.waited;
      item.querySelector("input[name=ticket]").value = String(caller.ticket);
      list.appendChild(item);
      now[caller.ticket] = true;
      fresh = fresh || !seen[caller.ticket];
    });
    seen = now;
    return fresh;
  }

  function check() {
    fetch(box.dataset.waitingUrl, {
      credentials: "same-origin",
      // A poll is not the agent at work: it does not keep an idle session open.
      headers: { Accept: "application/json", "X-Desk-Poll": "1" }
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        count.textContent = String(data.waiting);
        var busy = data.ringing || data.on_call;
        if (ringing) { ringing.hidden = !data.ringing; }
        if (onCall) { onCall.hidden = !data.on_call; }
        if (takeNext) { takeNext.disabled = data.waiting === 0 || busy; }
        var fresh = show(data.callers || []);
        if (available && data.available && fresh && !busy) { notify(); }
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ });
  }
  window.setInterval(check, Number(box.dataset.pollMs) || 5000);
}());
