// Small progressive enhancements on top of htmx. The portal works without this file.
(function () {
  "use strict";
  // After an htmx swap, move focus to the new content's heading or status so screen-reader and
  // keyboard users land where the change happened.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    // An outerHTML swap replaces the target itself: look for its successor by id.
    if (target && !target.isConnected && target.id) { target = document.getElementById(target.id); }
    if (!target || target.hasAttribute("data-keep-focus")) { return; }
    var focusable = target.querySelector("[data-focus-after-swap]") || (target.matches("[data-focus-after-swap]") ? target : null);
    if (focusable) {
      if (!focusable.hasAttribute("tabindex")) { focusable.setAttribute("tabindex", "-1"); }
      focusable.focus();
    }
  });
  // Auto-submit filter forms for browsers with JavaScript: the submit button stays for others.
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-autosubmit]");
    if (form && window.htmx) { window.htmx.trigger(form, "submit"); }
  });
  // A mention suggested while typing a comment: clicking it completes the "@…" being typed.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-mention]");
    if (!button) { return; }
    var form = button.closest("form");
    var input = form && form.querySelector("[data-mention-input]");
    if (!input) { return; }
    input.value = input.value.replace(/@[^\s@]*(@[^\s]*)?$/, "") + "@" + button.getAttribute("data-mention") + " ";
    button.closest(".mention-suggestions").innerHTML = "";
    input.focus();
  });
})();
