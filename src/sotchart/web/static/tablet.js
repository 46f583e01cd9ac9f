// The patient's tablet: a signature drawn with a finger (or a mouse) goes with the consent form as a PNG;
// a message after a refused page takes the focus, so a screen reader and the eye both land on it.
(function () {
  "use strict";

  function signaturePad(canvas, field, clear) {
    const ctx = canvas.getContext("2d");
    let drawing = false;
    let inked = false;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#1b2a36";

    function point(ev) {
      const box = canvas.getBoundingClientRect();
      return [((ev.clientX - box.left) * canvas.width) / box.width, ((ev.clientY - box.top) * canvas.height) / box.height];
    }
    canvas.addEventListener("pointerdown", function (ev) {
      drawing = true;
      canvas.setPointerCapture(ev.pointerId);
      const [x, y] = point(ev);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 0.1, y + 0.1);
      ctx.stroke();
      inked = true;
      ev.preventDefault();
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!drawing) return;
      const [x, y] = point(ev);
      ctx.lineTo(x, y);
      ctx.stroke();
      ev.preventDefault();
    });
    function stop() {
      if (drawing && inked) field.value = canvas.toDataURL("image/png");
      drawing = false;
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      inked = false;
      field.value = "";
    });
    if (field.value.startsWith("data:image/png;base64,")) {
      // A page sent back (e.g. the box not ticked) keeps the signature already drawn.
      const img = new Image();
      img.onload = function () { ctx.drawImage(img, 0, 0); inked = true; };
      img.src = field.value;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    const canvas = document.getElementById("signature-pad");
    if (canvas) signaturePad(canvas, document.getElementById("signature"), document.getElementById("clear-signature"));
    const message = document.getElementById("tablet-message");
    if (message) message.focus();
    // One tap sends once: a second tap while the page loads does nothing.
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (form.dataset.sent) { ev.preventDefault(); return; }
        form.dataset.sent = "1";
      });
    });
  });
})();
