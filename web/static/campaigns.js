// Campaign pages: the live progress bar and the segment form's live count.
// Loaded as a file (the CSP forbids inline script).
(function () {
  "use strict";

  function pollProgress(section) {
    var url = section.dataset.statsUrl;
    var bar = document.getElementById("progress-bar");
    var status = document.getElementById("campaign-status");
    function update() {
      fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (stats) {
          if (!stats) { return; }
          bar.max = stats.total || 1;
          bar.value = stats.done;
          bar.textContent = stats.done + " of " + stats.total;
          section.querySelectorAll("[data-stat]").forEach(function (cell) {
            var value = stats[cell.dataset.stat];
            if (value !== undefined) { cell.textContent = String(value); }
          });
          if (status) { status.textContent = stats.status; }
        })
        .catch(function () { /* the next tick tries again */ });
    }
    setInterval(update, 2000);
  }

  function liveCount(form) {
    var output = document.getElementById("segment-count");
    var timer = null;
    function count() {
      fetch(form.dataset.countUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
      })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          output.textContent = answer.error ? answer.error : String(answer.count);
        })
        .catch(function () { output.textContent = "–"; });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(count, 300);
    });
    count();
  }

  var progress = document.getElementById("campaign-progress");
  if (progress) { pollProgress(progress); }
  var segmentForm = document.getElementById("segment-form");
  if (segmentForm) { liveCount(segmentForm); }
})();
