// Every page's forms, before anything is lost or sent twice:
// - a form marked "once" sends one request however often its button is clicked: a double-click on
//   Register or Start visit must not make two patients or two visits (the server refuses a duplicate too);
// - a form with data-confirm asks first (revoking a token, which scripts notice at once);
// - a field typed into and not yet sent is "dirty": leaving the page asks first (the visit screen's
//   autosaving forms clear it as they post; see visit.js). Sign-in forms and searches are not guarded.
(function () {
  "use strict";
  document.addEventListener("input", function (e) {
    var form = e.target.form;
    if (form && (form.getAttribute("method") || "").toLowerCase() === "post" && !form.classList.contains("no-guard")) {
      e.target.dataset.dirty = "1";
    }
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.confirm && form.dataset.sent !== "1" && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
      return;
    }
    form.querySelectorAll("[data-dirty='1']").forEach(function (el) { delete el.dataset.dirty; });
    if (!form.classList.contains("once")) { return; }
    if (form.dataset.sent === "1") { e.preventDefault(); return; }
    form.dataset.sent = "1";
    // Coming back to the page (the back button) finds the form usable again.
    window.addEventListener("pageshow", function () { delete form.dataset.sent; }, { once: true });
  });
  // A page answering a form that must not be sent twice (a new token) takes the list's address, so a
  // reload shows the list instead of sending the form again.
  var replace = document.querySelector("[data-replace-url]");
  if (replace && window.history.replaceState) {
    window.history.replaceState(null, "", replace.dataset.replaceUrl);
  }
  // A "Copy" button copies the text of the element it names, or selects it where the clipboard is barred.
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var source = document.querySelector(button.dataset.copy);
    if (!source) { return; }
    var text = source.textContent.trim();
    var done = function () { button.textContent = "Copied"; };
    var select = function () { window.getSelection().selectAllChildren(source); button.textContent = "Selected: press Ctrl+C"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, select);
    } else {
      select();
    }
  });
  window.addEventListener("beforeunload", function (e) {
    if (document.querySelector("[data-dirty='1']")) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
})();
