/* Live updates: regions marked data-live="URL" data-live-on="event types" reload their
   server-rendered (and server-escaped) HTML when the gateway announces a change over
   server-sent events. data-live-every="SECONDS" also reloads on a timer, for what the
   gateway changes without announcing it (a modem's signal). */
(function () {
  "use strict";

  var streamUrl = document.body.getAttribute("data-events");
  var regions = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
  var pending = new Map();

  function reload(region) {
    fetch(region.getAttribute("data-live"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "live" }
    }).then(function (response) {
      if (response.redirected) {  /* the session ended: show the login page */
        window.location.reload();
        return null;
      }
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html !== null) {
        region.innerHTML = html;
        region.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
      }
    }).catch(function () { /* offline for a moment; the next event retries */ });
  }

  function soon(region) {
    clearTimeout(pending.get(region));
    pending.set(region, setTimeout(function () { reload(region); }, 200));
  }

  function listensTo(region, type) {
    return (region.getAttribute("data-live-on") || "").split(/\s+/).indexOf(type) >= 0;
  }

  regions.forEach(function (region) {
    var every = Number(region.getAttribute("data-live-every"));
    if (every > 0) {
      setInterval(function () { soon(region); }, every * 1000);
    }
  });

  if (!streamUrl || !window.EventSource || regions.length === 0) {
    return;
  }
  var source = new EventSource(streamUrl);
  source.addEventListener("open", function () {
    document.body.classList.add("is-live");
  });
  source.addEventListener("error", function () {
    document.body.classList.remove("is-live");
  });
  /* The server sends resync when this page missed events: before the stream first
     opened, while it was reconnecting, or because it fell behind. */
  source.addEventListener("resync", function () { regions.forEach(soon); });
  var types = new Set();
  regions.forEach(function (region) {
    (region.getAttribute("data-live-on") || "").split(/\s+/).forEach(function (type) {
      if (type) { types.add(type); }
    });
  });
  types.forEach(function (type) {
    source.addEventListener(type, function () {
      regions.filter(function (region) { return listensTo(region, type); }).forEach(soon);
    });
  });
})();
