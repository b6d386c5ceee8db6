// The editors' workspace: the Listen button (the browser's speech synthesis in the text's
// language) and a live estimate of each spoken field's length while typing.
(function () {
  "use strict";

  function pickVoice(lang) {
    if (!window.speechSynthesis || !window.speechSynthesis.getVoices) { return null; }
    var voices = window.speechSynthesis.getVoices();
    var base = lang.split("-")[0];
    var exact = null;
    var near = null;
    voices.forEach(function (voice) {
      if (voice.lang === lang) { exact = exact || voice; }
      else if (voice.lang && voice.lang.split("-")[0] === base) { near = near || voice; }
    });
    return exact || near;
  }

  document.querySelectorAll("button.listen").forEach(function (button) {
    if (!("speechSynthesis" in window)) { button.disabled = true; return; }
    button.addEventListener("click", function () {
      window.speechSynthesis.cancel();
      var utterance = new window.SpeechSynthesisUtterance(button.dataset.text || "");
      utterance.lang = button.dataset.lang || document.documentElement.lang;
      var voice = pickVoice(utterance.lang);
      if (voice) { utterance.voice = voice; }
      window.speechSynthesis.speak(utterance);
    });
  });

  // A publish goes live at once: ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (publish) {
    publish.addEventListener("submit", function (event) {
      if (!window.confirm(publish.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // Same estimate as knowledge/preview.py: words at the language's rate, a pause per sentence.
  var form = document.getElementById("text-form");
  if (!form) { return; }
  var perMinute = parseFloat(form.dataset.wpm) || 150;
  function estimate(text) {
    var words = text.trim() ? text.trim().split(/\s+/).length : 0;
    if (!words) { return 0; }
    var pauses = Math.max(1, (text.match(/[.!?;:؟؛](\s|$)/g) || []).length);
    return Math.round((words * 60 / perMinute + pauses * 0.4) * 10) / 10;
  }
  form.querySelectorAll("textarea[data-spoken]").forEach(function (area) {
    var output = form.querySelector('output[for="' + area.id + '"]');
    if (!output) { return; }
    function update() { output.textContent = "≈ " + estimate(area.value) + " s"; }
    area.addEventListener("input", update);
    update();
  });
}());
