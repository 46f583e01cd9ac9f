// The visit screen. Each field's form posts on change and the server re-renders the visit; this file
// keeps what the clinician is typing safe while those answers arrive, and puts an error where it happened:
// - a field typed into since its form last posted is "dirty": a re-render never overwrites it, nor the
//   rest of its form (its hidden "base", the text the box was opened with, must stay as it was);
// - leaving the page with a dirty field asks first (forms.js);
// - an error is moved beside the form that caused it and scrolled into view, not left at the top of a
//   long page;
// - Alt+1 … Alt+6 jump to the steps of the visit.
(function () {
  "use strict";
  if (window.Idiomorph) {
    window.Idiomorph.defaults.ignoreActiveValue = true;
    window.Idiomorph.defaults.callbacks.beforeNodeMorphed = function (oldNode) {
      if (oldNode.dataset && oldNode.dataset.dirty === "1") { return false; }
      // A text box's form also keeps its hidden "base" (the text the box was opened with) while typed in.
      if (oldNode.tagName === "FORM" && oldNode.querySelector("input[name='base']") &&
          oldNode.querySelector("[data-dirty='1']")) { return false; }
      return true;
    };
    // A section the clinician opened stays open when the visit is drawn again after a save.
    window.Idiomorph.defaults.callbacks.beforeAttributeUpdated = function (name, node, mutation) {
      return !(node.tagName === "DETAILS" && name === "open" && mutation === "remove");
    };
  }
  // Typing marks a field dirty (forms.js); the moment a form's values are collected for sending, they are
  // no longer at risk.
  document.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt;
    if (form && form.querySelectorAll) {
      form.querySelectorAll("[data-dirty='1']").forEach(function (el) { delete el.dataset.dirty; });
    }
  });
  // Which form is this: its action and the hidden fields that tell it from its neighbours.
  var KEYS = ["op", "code", "name", "phase", "kind", "field", "index", "location", "line", "area", "point", "level"];
  function formKey(form) {
    var parts = [form.getAttribute("action") || ""];
    KEYS.forEach(function (n) {
      var el = form.querySelector("input[type=hidden][name='" + n + "']");
      if (el) { parts.push(n + "=" + el.value); }
    });
    return parts.join("&");
  }
  var lastKey = null;
  var lastForm = null;
  // A double click sends the same form twice: the second press lands on the form as it was drawn again
  // after the first, with its boxes back at their defaults (a block nobody placed), or toggles a chip back.
  // The same form, by the same button, within DOUBLE_MS of the last is the same press: it is dropped.
  var DOUBLE_MS = 700;
  // The second click of a double click never presses anything: the first one redraws the visit, and the
  // second can land on whatever the redraw put under the pointer (the × of the fibre just added).
  document.addEventListener("click", function (e) {
    if (e.detail > 1 && e.target.closest && e.target.closest("#visit-main form button, #visit-main form [type=submit]")) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);
  var lastPress = { key: null, at: 0 };
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    if (!elt || elt.tagName !== "FORM") { return; }
    var trigger = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    var button = trigger && trigger.submitter;
    var press = formKey(elt) + "#" + (button ? (button.name || "") + "=" + (button.value || button.textContent) : "");
    var now = Date.now();
    if (button && press === lastPress.key && now - lastPress.at < DOUBLE_MS) {
      e.preventDefault();
      return;
    }
    lastPress = { key: press, at: now };
    lastKey = formKey(elt);
    lastForm = elt;
  });
  // A conflict (409: another tab or person changed the box) keeps what was typed in the box, so nothing is
  // lost; a value refused (422) shows what is stored, beside the message that says why.
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr && e.detail.xhr.status === 409 && lastForm) {
      lastForm.querySelectorAll("textarea, input[type=text], input:not([type])").forEach(function (el) {
        el.dataset.dirty = "1";
      });
    }
  });
  // A refused amendment comes back with its form open: show what to fix there, not at the top of the page.
  document.addEventListener("DOMContentLoaded", function () {
    var amendError = document.getElementById("amend-error");
    if (amendError) { amendError.scrollIntoView({ block: "center" }); amendError.focus({ preventScroll: true }); }
  });
  document.addEventListener("htmx:afterSettle", function () {
    var msg = document.getElementById("visit-message");
    if (!msg) { return; }
    var forms = document.querySelectorAll("#visit-main form");
    for (var i = 0; i < forms.length; i++) {
      if (lastKey && formKey(forms[i]) === lastKey) {
        forms[i].insertAdjacentElement("afterend", msg);
        msg.classList.add("beside");
        break;
      }
    }
    // Into view, but the focus stays where the clinician is typing.
    msg.scrollIntoView({ block: "nearest" });
  });

  // A tap made after the session ended is kept in this tab, and offered again once signed back in.
  var PENDING = "sotchart.pending-tap";
  function describe(form) {
    var label = form.querySelector("label");
    var op = form.querySelector("input[name='op']");
    return (label && label.textContent.trim().slice(0, 80)) || (op && op.value) || "your last entry";
  }
  document.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt;
    if (!form || form.tagName !== "FORM") { return; }
    var fields = [];
    var data = e.detail.formData || e.detail.parameters;
    if (data && data.forEach) {
      data.forEach(function (value, key) {
        if (key !== "csrf_token" && key !== "rev" && typeof value === "string") { fields.push([key, value]); }
      });
    }
    sessionStorage.setItem(PENDING, JSON.stringify({
      path: location.pathname, action: form.getAttribute("action"), fields: fields, label: describe(form)
    }));
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var xhr = e.detail.xhr;
    var redirect = xhr && xhr.getResponseHeader("HX-Redirect");
    if (redirect && redirect.indexOf("/sign-in") === 0) { return; }  // keep it for after the sign-in
    sessionStorage.removeItem(PENDING);
  });
  function offerPending() {
    var raw = sessionStorage.getItem(PENDING);
    var main = document.getElementById("visit-main");
    if (!raw || !main) { return; }
    var p = JSON.parse(raw);
    if (p.path !== location.pathname) { return; }
    var box = document.createElement("div");
    box.className = "notice warn";
    box.id = "pending-tap";
    box.setAttribute("role", "alert");
    box.textContent = "Your session ended before this was saved: " + p.label + ". ";
    var save = document.createElement("button");
    save.type = "button";
    save.textContent = "Save it now";
    var drop = document.createElement("button");
    drop.type = "button";
    drop.className = "secondary";
    drop.textContent = "Discard";
    box.appendChild(save);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(drop);
    main.insertBefore(box, main.firstChild);
    drop.addEventListener("click", function () { sessionStorage.removeItem(PENDING); box.remove(); });
    save.addEventListener("click", function () {
      var values = {};
      p.fields.forEach(function (kv) {
        if (kv[0] in values) { values[kv[0]] = [].concat(values[kv[0]], kv[1]); } else { values[kv[0]] = kv[1]; }
      });
      var token = document.querySelector("input[name='csrf_token']");
      values.csrf_token = token ? token.value : "";
      values.rev = main.dataset.rev;
      box.remove();
      window.htmx.ajax("POST", p.action, { target: "#visit-main", swap: "morph", values: values });
    });
  }
  document.addEventListener("DOMContentLoaded", offerPending);

  document.addEventListener("keydown", function (e) {
    if (!e.altKey || e.ctrlKey || e.metaKey) { return; }
    var steps = ["step-safety", "step-subjective", "step-indicators", "step-treatment", "step-recheck", "step-note"];
    var n = parseInt(e.key, 10);
    if (n >= 1 && n <= steps.length) {
      var step = document.getElementById(steps[n - 1]);
      if (step) {
        e.preventDefault();
        step.scrollIntoView({ block: "start" });
        var first = step.querySelector("input:not([type=hidden]), select, textarea, button:not([disabled])");
        if (first) { first.focus({ preventScroll: true }); }
      }
    }
  });
})();
