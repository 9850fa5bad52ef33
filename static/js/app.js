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

  document.addEventListener("DOMContentLoaded", defaultToBrowserZone);
})();
