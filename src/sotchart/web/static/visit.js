// The visit screen. Each field's form posts on change and the server re-renders the visit; this file
// keeps what the clinician is typing safe while those answers arrive:
// - a field typed into since its form last posted is "dirty": a re-render never overwrites it;
// - leaving the page with a dirty field asks first.
(function () {
  "use strict";
  function dirtyFields() { return document.querySelectorAll("[data-dirty='1']"); }

  if (window.Idiomorph) {
    window.Idiomorph.defaults.ignoreActiveValue = true;
    window.Idiomorph.defaults.callbacks.beforeNodeMorphed = function (oldNode) {
      if (oldNode.dataset && oldNode.dataset.dirty === "1") { return false; }
      return true;
    };
  }
  document.addEventListener("input", function (e) {
    if (e.target.closest && e.target.closest("form.autosave")) { e.target.dataset.dirty = "1"; }
  });
  // The moment a form's values are collected for sending, they are no longer at risk.
  document.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt;
    if (form && form.querySelectorAll) {
      form.querySelectorAll("[data-dirty='1']").forEach(function (el) { delete el.dataset.dirty; });
    }
  });
  window.addEventListener("beforeunload", function (e) {
    if (dirtyFields().length > 0) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
})();
