// Campaign pages: the segment form's live count, and a question before what cannot be
// undone (forms marked data-confirm). Progress is a live region (see live.js).
// Loaded as a file (the CSP forbids inline script).
(function () {
  "use strict";

  function liveCount(form) {
    var output = document.getElementById("segment-count");
    var timer = null;
    var asked = 0;
    function count() {
      var ticket = ++asked;
      fetch(form.dataset.countUrl, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin"
      })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (ticket !== asked) { return; }  /* an older answer arriving late */
          output.textContent = answer.error ? answer.error : String(answer.count);
          output.classList.toggle("reason", Boolean(answer.error));
        })
        .catch(function () { output.textContent = "–"; });
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(count, 300);
    });
    count();
  }

  var segmentForm = document.getElementById("segment-form");
  if (segmentForm) { liveCount(segmentForm); }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
