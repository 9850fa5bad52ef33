// The event form's time zone follows its country. Without this file the form still works:
// "Show its time zones" sends it back with the country's zones first, and the server warns
// when the zone is not the country's.
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  function groupOf(select, country) {
    if (!country) return null;
    return select.querySelector('optgroup[data-country="' + country + '"]');
  }

  function offers(group, zone) {
    return !!zone && Array.prototype.some.call(group.children, function (option) {
      return option.value === zone;
    });
  }

  // The country's zones first; its only zone, or the browser's when it is one of them.
  function followCountry(select, country, browser) {
    var group = groupOf(select, country);
    if (!group) return;
    var placeholder = select.querySelector("option[value='']");
    select.insertBefore(group, placeholder ? placeholder.nextSibling : select.firstChild);
    if (offers(group, select.value)) return;
    if (group.children.length === 1) {
      select.value = group.children[0].value;
    } else if (offers(group, browser)) {
      select.value = browser;
    } else {
      select.value = "";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var country = document.querySelector("select[data-zone-country]");
    var zone = document.getElementById("timezone");
    if (!country || !zone) return;
    // Not needed with this script (removed: the stylesheet's buttons override [hidden]).
    document.querySelectorAll("[data-zones-refresh]").forEach(function (button) {
      button.remove();
    });
    var browser = browserZone();
    // A new event starts in the organiser's own zone, until the country says otherwise.
    if (zone.hasAttribute("data-browser-zone") && !zone.value) {
      var known = Array.prototype.some.call(zone.options, function (option) {
        return option.value === browser;
      });
      var group = groupOf(zone, country.value);
      if (known && (!group || offers(group, browser))) zone.value = browser;
    }
    country.addEventListener("change", function () {
      followCountry(zone, country.value, browser);
    });
  });
})();
