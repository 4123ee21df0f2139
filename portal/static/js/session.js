// Warns before the sign-out and lets the person stay signed in (WCAG 2.1 SC 2.2.1). The words
// come from the page (accounts/_session_timeout.html). The server owns the clock: before the
// warning and at the end the page asks it how long is left, so work in another tab counts.
// Without this file, or without <dialog>, nothing changes.
(function () {
  "use strict";
  var source = document.getElementById("session-timeout");
  if (!source || !window.fetch || !("content" in source)) { return; }
  var dialog = source.content.querySelector("dialog").cloneNode(true);
  if (typeof dialog.showModal !== "function") { return; }
  document.body.appendChild(dialog);
  var data = source.dataset;
  var warningMs = Number(data.warning) * 1000;
  var part = function (name) { return dialog.querySelector("[data-session-" + name + "]"); };
  var idleText = part("idle"), finalText = part("final"), error = part("error");
  var stay = part("stay"), close = part("close");
  var deadline = 0, isFinal = false, dismissed = false, timer = 0, ticker = 0;
  var returnFocus = null;

  function signIn() {
    clearTimeout(timer);
    window.location.assign(data.signinUrl);
  }

  // JSON from the server, or null after sending the page to sign in (the session is over).
  function ask(url, options) {
    options.credentials = "same-origin";
    options.cache = "no-store";
    options.headers = options.headers || {};
    options.headers.Accept = "application/json";
    return fetch(url, options).then(function (response) {
      if (response.status === 401) { signIn(); return null; }
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    });
  }

  function check() {
    ask(data.statusUrl, {}).then(function (state) { if (state) { schedule(state); } },
      function () { timer = setTimeout(check, 10000); });
  }

  function extend() {
    var token = document.querySelector("meta[name=csrf-token]");
    error.hidden = true;
    ask(data.extendUrl, {method: "POST", headers: {"X-CSRFToken": token ? token.content : ""}})
      .then(function (state) { if (state) { schedule(state); } },
        function () { error.hidden = false; });
  }

  function schedule(state) {
    var remainingMs = Number(state.remaining) * 1000;
    deadline = Date.now() + remainingMs;
    isFinal = Boolean(state.final);
    clearTimeout(timer);
    if (remainingMs > warningMs) {
      hide();
      timer = setTimeout(check, remainingMs - warningMs);
      return;
    }
    if (!(isFinal && dismissed)) { show(); }
    // At the end, ask again: the server signs the session out and answers 401.
    timer = setTimeout(check, Math.max(remainingMs, 1000));
  }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var seconds = left % 60;
    dialog.querySelectorAll("[data-session-left]").forEach(function (node) {
      node.textContent = Math.floor(left / 60) + ":" + (seconds < 10 ? "0" : "") + seconds;
    });
  }

  function show() {
    var wasFinal = !finalText.hidden;
    var at = new Date(deadline);
    dialog.querySelectorAll("[data-session-deadline]").forEach(function (node) {
      node.dateTime = at.toISOString();
      node.textContent = at.toLocaleTimeString(document.documentElement.lang || undefined,
        {hour: "2-digit", minute: "2-digit"});
    });
    idleText.hidden = stay.hidden = isFinal;
    finalText.hidden = close.hidden = !isFinal;
    dialog.setAttribute("aria-describedby", (isFinal ? finalText : idleText).id);
    tick();
    if (!dialog.open) {
      returnFocus = document.activeElement;
      dialog.showModal();
      ticker = setInterval(tick, 1000);
    } else if (wasFinal === isFinal) {
      return;  // already showing this warning: leave the focus where the person put it
    }
    (isFinal ? close : stay).focus();
  }

  function hide() {
    if (!dialog.open) { return; }
    clearInterval(ticker);
    error.hidden = true;
    dialog.close();
    if (returnFocus && returnFocus.isConnected && returnFocus.focus) { returnFocus.focus(); }
    returnFocus = null;
  }

  stay.addEventListener("click", extend);
  close.addEventListener("click", function () { dismissed = true; hide(); });
  // Escape means the person is here: the same as "Stay signed in" (or "Close" at the end).
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    (isFinal ? close : stay).click();
  });
  // Timers sleep with the computer and slow down in background tabs: look again on return.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { check(); }
  });
  window.addEventListener("pageshow", function (event) { if (event.persisted) { check(); } });

  schedule({remaining: data.remaining, final: data.final === "true"});
})();
