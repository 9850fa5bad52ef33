// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  // A new event's time zone defaults to the organiser's own, as the browser knows it.
  function defaultToBrowserZone() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    if (!zone) return;
    document.querySelectorAll("select[data-browser-zone]").forEach(function (select) {
      var known = Array.prototype.some.call(select.options, function (option) {
        return option.value === zone;
      });
      if (known) select.value = zone;
    });
  }

  // "Copy link" buttons: shown only where the browser can copy; the link is selectable anyway.
  function enableCopyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.value).then(function () {
          button.setAttribute("aria-live", "polite");
          button.textContent = button.getAttribute("data-done") || "✓";
        });
      });
    });
  }

  // A member page keeps its group's state current while friends join, without a reload.
  function followGroupState() {
    var section = document.querySelector("[data-state-url]");
    if (!section || !window.fetch) return;
    var url = section.getAttribute("data-state-url");
    var seconds = parseFloat(section.getAttribute("data-poll-seconds")) || 20;
    var badge = section.querySelector(".state-badge-slot");
    var sentence = section.querySelector(".state-sentence");
    var last = null;
    window.setInterval(function () {
      if (document.hidden) return;
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          var key = data.state + ":" + data.members;
          if (key === last) return;
          last = key;
          badge.innerHTML = data.badge_html; // rendered and escaped by the server
          sentence.textContent = data.sentence;
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    defaultToBrowserZone();
    enableCopyButtons();
    followGroupState();
  });
})();
