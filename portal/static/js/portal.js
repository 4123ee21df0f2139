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
  // An error summary (see _macros.html) takes the focus when the page or a swapped fragment
  // brings one, so keyboard and screen-reader users start from the list of what to correct.
  // Its links move the focus to the field itself, not only scroll to it.
  function focusErrorSummary(root) {
    var summary = root.querySelector && root.querySelector("[data-error-summary]");
    if (!summary && root.matches && root.matches("[data-error-summary]")) { summary = root; }
    if (summary) { summary.focus(); return true; }
    return false;
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });
  } else {
    focusErrorSummary(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && !target.isConnected && target.id) { target = document.getElementById(target.id); }
    if (target && focusErrorSummary(target)) {
      var meta = document.querySelector("meta[name='error-prefix']");
      var prefix = meta && meta.getAttribute("content");
      if (prefix && document.title.indexOf(prefix) !== 0) { document.title = prefix + " " + document.title; }
    }
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    // A group (a fieldset of checkboxes) takes the focus on its first box.
    if (!field.matches("input, select, textarea, button, a[href]")) {
      field = field.querySelector("input, select, textarea") || field;
    }
    var label = field.closest("fieldset") || field.closest(".field") || field;
    label.scrollIntoView();
    field.focus();
  });
  // A table wider than its place scrolls in its wrapper (.table-wrap): the wrapper then becomes a
  // named region keyboard users can focus and scroll with the arrow keys (WCAG 2.1.1).
  function markScrollingTables(root) {
    var wraps = (root.querySelectorAll ? root : document).querySelectorAll(".table-wrap");
    Array.prototype.forEach.call(wraps, function (wrap) {
      if (wrap.hasAttribute("data-static-region")) { return; }
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        var caption = wrap.querySelector("caption");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        if (caption) { wrap.setAttribute("aria-label", caption.textContent.trim()); }
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { markScrollingTables(document); });
  } else {
    markScrollingTables(document);
  }
  window.addEventListener("resize", function () { markScrollingTables(document); });
  document.addEventListener("htmx:afterSettle", function () { markScrollingTables(document); });
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
