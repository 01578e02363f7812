// kenshin: a question before a form that removes something (form[data-confirm]).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);
})();
// kenshin: live job progress. Polls /api/jobs/<id> every 2 s for each row that is
// still queued or running, and updates its bar, state and message in place.
// Served from /static (the CSP allows scripts from this origin only).
(function () {
  "use strict";
  var ACTIVE = ["queued", "pending", "running", "paused"];
  function update(row, job) {
    var pct = Math.max(0, Math.min(100, Math.round((job.progress || 0) * 100)));
    var bar = row.querySelector("progress");
    if (bar) { bar.value = pct; }
    var pctText = row.querySelector("[data-field=pct]");
    if (pctText) { pctText.textContent = pct + "%"; }
    var state = row.querySelector("[data-field=state]");
    if (state) {
      state.textContent = (row.dataset["label" + job.state] || job.state);
      state.className = "state-" + job.state;
    }
    var message = row.querySelector("[data-field=message]");
    if (message) { message.textContent = job.error || job.message || ""; }
    row.dataset.state = job.state;
  }
  function poll(row, rounds) {
    if (rounds <= 0 || ACTIVE.indexOf(row.dataset.state) < 0) { return; }
    window.setTimeout(function () {
      fetch("/api/jobs/" + encodeURIComponent(row.dataset.job), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (job) {
          if (job) { update(row, job); }
          poll(row, rounds - 1);
        })
        .catch(function () { poll(row, rounds - 1); });
    }, 2000);
  }
  document.querySelectorAll("tr[data-job]").forEach(function (row) { poll(row, 1800); });
})();
