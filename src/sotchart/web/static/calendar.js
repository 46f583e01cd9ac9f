// The calendar's time grid (EventCalendar, vendored) over the page's own list: clicking a free time books it,
// dragging a booked appointment moves it. Everything here is also a form on the page without JavaScript.
(function () {
  "use strict";
  for (const choice of document.querySelectorAll("form.calendar-filter select")) {
    choice.addEventListener("change", () => choice.form.submit());
  }
  const el = document.getElementById("calendar-grid");
  if (!el || !el.dataset.view || !window.EventCalendar) return;
  el.hidden = false;
  const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  const message = document.getElementById("calendar-message");
  const canBook = el.dataset.canBook === "yes";
  const clinician = el.dataset.clinician;
  const ids = JSON.parse(el.dataset.resources);
  const names = JSON.parse(el.dataset.resourceNames);
  const resources = ids
    .map((id, i) => ({ id: String(id), title: names[i] }))
    .filter((r) => !clinician || r.id === clinician);
  const pad = (n) => String(n).padStart(2, "0");
  // The grid shows the clinic's wall-clock times as they are; a moment is sent back the same way.
  const wall = (d) =>
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

  function say(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  async function move(info, confirmed) {
    const body = new FormData();
    body.set("starts_at", wall(info.event.start));
    body.set("version", info.event.extendedProps.version);
    if (info.newResource) body.set("clinician_id", info.newResource.id);
    if (confirmed) body.set("confirm", "1");
    let answer;
    try {
      answer = await fetch(`/appointments/${info.event.id}/move`, {
        method: "POST",
        body,
        headers: { Accept: "application/json", "X-CSRF-Token": headers["X-CSRF-Token"] || "" },
        credentials: "same-origin",
        redirect: "manual", // a lapsed session answers with a redirect to the sign-in page
      });
    } catch (e) {
      info.revert();
      say("The move was not saved: sotchart could not be reached. Check the connection and try again.");
      return;
    }
    const json = (answer.headers.get("content-type") || "").includes("json");
    if (answer.type === "opaqueredirect" || answer.status === 401 || !json) {
      info.revert();
      say("Not moved: your session has ended. Sign in again (reload the page), then move it.");
      return;
    }
    if (answer.ok) {
      const saved = await answer.json();
      info.event.extendedProps.version = saved.version;
      say("");
      ec.refetchEvents();
      return;
    }
    const problem = await answer.json().catch(() => ({}));
    if (answer.status === 409 && problem.errors && !confirmed && window.confirm(`${problem.detail}\n\nMove it there anyway?`)) {
      return move(info, true);
    }
    info.revert();
    say(`Not moved: ${problem.detail || "the server refused the move."}`);
  }

  const ec = EventCalendar.create(el, {
    view: el.dataset.view,
    date: el.dataset.date,
    resources,
    firstDay: 1,
    hiddenDays: JSON.parse(el.dataset.hiddenDays || "[]"),
    allDaySlot: false,
    nowIndicator: true,
    slotDuration: "00:15",
    // The clinic's own way of writing times and days, as the rest of sotchart does: 24-hour, "Mon 07 Dec".
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    dayHeaderFormat: { weekday: "short", day: "2-digit", month: "short" },
    slotMinTime: el.dataset.slotMin,
    slotMaxTime: el.dataset.slotMax,
    height: "auto",
    // The page's own links move between days and weeks, so the list below always matches the grid.
    headerToolbar: { start: "", center: "", end: "" },
    eventSources: [{ url: "/calendar/events", extraParams: clinician ? { clinician } : {} }],
    editable: canBook,
    eventDurationEditable: false,
    // One line: the time and who, the kind (15-minute appointments leave no room for a second line).
    eventContent: (info) => `${wall(info.event.start).slice(11)} ${info.event.title}`,
    eventClick: (info) => {
      window.location.href = `/appointments/${info.event.id}`;
    },
    dateClick: (info) => {
      if (!canBook) return;
      const who = info.resource ? info.resource.id : clinician;
      window.location.href = `/appointments/new?at=${wall(info.date)}${who ? `&clinician_id=${who}` : ""}`;
    },
    eventDrop: (info) => move(info, false),
  });
})();
