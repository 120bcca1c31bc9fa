/* The compose box's counter. The server counts (the same code that encodes the PDUs);
   this only asks, debounced, and shows the answer. */
(function () {
  "use strict";

  Array.prototype.forEach.call(document.querySelectorAll("textarea[data-counter]"), function (box) {
    var output = document.getElementById(box.getAttribute("aria-describedby"));
    var timer = null;
    var asked = 0;

    function show(result) {
      var left = result.parts > 0 ? " · " + result.remaining + " characters left" : "";
      output.textContent = result.summary + left;
      output.classList.toggle("counter-ucs2", result.encoding === "UCS-2");
    }

    function ask() {
      var ticket = ++asked;
      fetch(box.getAttribute("data-counter") + "?text=" + encodeURIComponent(box.value), {
        credentials: "same-origin"
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (result) {
        if (result && ticket === asked) { show(result); }
      }).catch(function () { /* keep the last count */ });
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    ask();
  });
})();
