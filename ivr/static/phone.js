// The browser phone's keypad: keys add up as on a phone, and the entry is sent as Twilio's
// <Gather> would send it: on the finish key (#, not sent), once numDigits keys are in, or
// after `timeout` seconds without a key. Without this script each key is sent on its own.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.keypad");
  const typed = form && form.querySelector("input[name=digits]");
  if (!typed) return;
  const numDigits = parseInt(form.dataset.numDigits, 10) || 0;
  const finish = form.dataset.finishOnKey || "";
  const timeout = (parseInt(form.dataset.timeout, 10) || 5) * 1000;
  let timer = null;
  let sent = false;

  const send = () => {
    if (sent) return;
    sent = true;
    clearTimeout(timer);
    form.querySelectorAll(".keys button").forEach((button) => { button.disabled = true; });
    form.submit();
  };

  const press = (key) => {
    if (sent) return;
    clearTimeout(timer);
    if (finish && key === finish) {
      typed.value += key; // the finish key ends the entry; the server drops it, as Twilio does
      send();
      return;
    }
    typed.value += key;
    if (numDigits && typed.value.length >= numDigits) {
      send();
      return;
    }
    timer = setTimeout(send, timeout); // the caller stopped typing
  };

  form.querySelectorAll(".keys button").forEach((button) => {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      press(button.value);
    });
  });
  typed.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      send();
    } else if (event.key.length === 1 && "0123456789*#".includes(event.key)) {
      event.preventDefault();
      press(event.key);
    }
  });
});
