// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

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

  // A member page keeps itself current while friends join, the leader sets the meeting
  // point or the event changes: when the server's version moves, the page's live sections
  // (state, meeting point, members, signs, check-in) are refreshed together from the page
  // itself, so the badge, the list and the counts never disagree. A section holding the
  // focus (someone typing) waits for the next round; a cancelled event reloads the page.
  function followGroupState() {
    var section = document.querySelector("[data-state-url]");
    if (!section || !window.fetch || !window.DOMParser) return;
    var url = section.getAttribute("data-state-url");
    var seconds = parseFloat(section.getAttribute("data-poll-seconds")) || 20;
    var shown = section.getAttribute("data-version");
    var status = section.getAttribute("data-event-status");
    var busy = false;
    function refreshSections(version) {
      return fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var complete = true;
          document.querySelectorAll("[data-live]").forEach(function (old) {
            var replacement = fresh.getElementById(old.id);
            if (!replacement) return;
            if (old.contains(document.activeElement) && document.activeElement !== document.body) {
              complete = false; // someone is typing here: next round
              return;
            }
            old.innerHTML = replacement.innerHTML; // rendered and escaped by the server
          });
          if (complete) shown = version;
        });
    }
    window.setInterval(function () {
      if (document.hidden || busy) return;
      busy = true;
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || data.version === shown) return;
          if (data.event_status !== status) { window.location.reload(); return; }
          return refreshSections(data.version);
        })
        .catch(function () { /* offline for a moment: try again next time */ })
        .then(function () { busy = false; });
    }, seconds * 1000);
  }

  // "Near me": the browser's position goes to this site only, as two numbers in the URL.
  function enableNearMe() {
    var button = document.querySelector("[data-near-me]");
    if (!button || !navigator.geolocation) return;
    var form = button.form;
    var hint = form.querySelector(".near-hint");
    button.hidden = false;
    button.addEventListener("click", function () {
      hint.textContent = button.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(function (position) {
        ["lat", "lon"].forEach(function (name) {
          var input = form.querySelector("input[name=" + name + "]");
          if (!input) {
            input = document.createElement("input");
            input.type = "hidden";
            input.name = name;
            form.appendChild(input);
          }
          var value = name === "lat" ? position.coords.latitude : position.coords.longitude;
          input.value = value.toFixed(4); // about 10 m: enough to sort, no more
        });
        form.submit();
      }, function () {
        hint.textContent = button.getAttribute("data-failed");
      }, { maximumAge: 600000, timeout: 15000 });
    });
  }

  // A zone's offset from UTC at a moment, in minutes ("GMT+05:30" is 330); null if unknown.
  function offsetIn(zone, moment) {
    var name;
    try {
      name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
        .formatToParts(moment)
        .filter(function (part) { return part.type === "timeZoneName"; })[0].value;
    } catch (e) {
      return null;
    }
    var match = /^GMT(?:([+\-\u2212])(\d{1,2}):?(\d{2})?)?$/.exec(name);
    if (!match) return null;
    if (!match[1]) return 0;
    var minutes = parseInt(match[2], 10) * 60 + parseInt(match[3] || "0", 10);
    return match[1] === "+" ? minutes : -minutes;
  }

  // Each event in its own zone, and in the viewer's when the clocks differ at that moment
  // (not merely the zone names: Melbourne and Sydney keep the same time).
  function showViewerTimes() {
    var viewerZone;
    try {
      viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    // The Gregorian calendar and the 24-hour clock, like the event's own time beside it
    // (Babel's "HH:mm"): Persian would default to the Solar Hijri calendar, English to
    // "03:00 PM", and two conventions side by side confuse.
    var locale = (document.documentElement.lang || "en") + "-u-ca-gregory";
    var format = new Intl.DateTimeFormat(locale, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23", timeZoneName: "short"
    });
    document.querySelectorAll("[data-viewer-time]").forEach(function (element) {
      var eventZone = element.getAttribute("data-event-zone");
      if (eventZone === viewerZone) return;
      var moment = new Date(element.getAttribute("data-viewer-time"));
      if (isNaN(moment)) return;
      var eventOffset = offsetIn(eventZone, moment);
      if (eventOffset !== null && eventOffset === -moment.getTimezoneOffset()) return;
      element.textContent = element.getAttribute("data-label") + " " + format.format(moment);
      element.hidden = false;
    });
  }

  // Share: the phone's own share sheet where there is one, else copy the link.
  function enableShare() {
    document.querySelectorAll("button[data-share-url]").forEach(function (button) {
      var url = button.getAttribute("data-share-url");
      var title = button.getAttribute("data-share-title") || document.title;
      button.hidden = false;
      button.addEventListener("click", function () {
        if (navigator.share) {
          navigator.share({ title: title, url: url }).catch(function () {});
        } else if (navigator.clipboard) {
          navigator.clipboard.writeText(url).then(function () {
            button.textContent = button.getAttribute("data-done");
          });
        } else {
          window.prompt(button.getAttribute("data-prompt"), url);
        }
      });
    });
  }

  // An error summary takes the focus, and its links move the focus to their field.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (!summary) return;
    summary.focus();
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) return;
        event.preventDefault();
        target.scrollIntoView({ block: "center" });
        target.focus();
      });
    });
  }

  // The contact field asks for a phone number (the phone keypad) or, after the switch, an
  // email address (the email keyboard), without a reload that would lose what was typed.
  function enableContactSwitch() {
    var link = document.querySelector("[data-contact-switch]");
    var input = document.querySelector("[data-contact-field]");
    if (!link || !input) return;
    var label = document.querySelector("label[for='" + input.id + "']");
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var kind = input.getAttribute("data-contact-field") === "phone" ? "email" : "phone";
      input.setAttribute("data-contact-field", kind);
      input.type = kind === "phone" ? "tel" : "email";
      input.inputMode = kind === "phone" ? "tel" : "email";
      input.autocomplete = kind === "phone" ? "tel" : "email";
      if (label) label.textContent = link.getAttribute("data-label-" + kind);
      link.textContent = link.getAttribute("data-text-" + kind);
      link.setAttribute("href", "?by=" + (kind === "phone" ? "email" : "phone"));
      input.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enableContactSwitch();
    focusErrorSummary();
    enableCopyButtons();
    followGroupState();
    enableNearMe();
    showViewerTimes();
    enableShare();
  });
})();
