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

  document.addEventListener("DOMContentLoaded", function () {
    defaultToBrowserZone();
    enableCopyButtons();
  });
})();
