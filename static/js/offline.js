// Working with no signal: registers the service worker (static/sw.js), says when a page is
// a saved copy, queues check-in / home-safe presses made offline and sends them when the
// network returns, and forgets a member's saved pages when they leave or ask.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.fetch) return;

  var QUEUE = "offline-presses";
  var PRESS = /^\/me\/([A-Za-z0-9_-]+)\/(check-in|home-safe)$/;
  var LEAVE = /^\/me\/([A-Za-z0-9_-]+)\/leave$/;
  var MEMBER = /^\/me\/([A-Za-z0-9_-]+)(?:\/sign)?$/;
  var note = document.getElementById("offline-note");
  var controlledAtLoad = !!navigator.serviceWorker.controller;

  function text(name) {
    return (note && note.getAttribute("data-" + name)) || "";
  }

  // --- the queue of presses (localStorage: survives closing the browser) ----------------
  function queued() {
    try {
      return JSON.parse(window.localStorage.getItem(QUEUE) || "[]");
    } catch (e) {
      return [];
    }
  }

  function saveQueue(items) {
    try {
      if (items.length) window.localStorage.setItem(QUEUE, JSON.stringify(items));
      else window.localStorage.removeItem(QUEUE);
    } catch (e) { /* private mode: the press is lost, as without this file */ }
  }

  function forgetPresses(token) {
    saveQueue(queued().filter(function (item) { return token !== "all" && item.token !== token; }));
  }

  // --- forgetting a member's saved pages -----------------------------------------------
  function forget(token) {
    forgetPresses(token);
    return navigator.serviceWorker.getRegistration("/").then(function (registration) {
      var worker = registration && (registration.active || registration.waiting);
      if (!worker) return;
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function () { resolve(); };
        worker.postMessage({ type: "forget", token: token }, [channel.port2]);
        window.setTimeout(resolve, 2000); // never hold a form back for long
      });
    }).catch(function () { /* nothing to forget */ });
  }

  // A form that ends what this device keeps: leaving the group, signing out.
  function forgetOnSubmit(form, token) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-forgotten")) return;
      event.preventDefault();
      forget(token).then(function () {
        form.setAttribute("data-forgotten", "1");
        form.submit();
      });
    });
  }

  // --- sending presses ----------------------------------------------------------------
  function post(url, csrfToken) {
    var body = new FormData();
    body.append("csrf_token", csrfToken);
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" });
  }

  // A fresh CSRF token from the member page (the one kept with the press may have expired).
  function freshToken(token) {
    return fetch("/me/" + token, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var input = new DOMParser().parseFromString(html, "text/html")
          .querySelector("input[name=csrf_token]");
        return input ? input.value : null;
      }, function () { return null; });
  }

  var sending = false;
  function sendQueued() {
    var items = queued();
    if (sending || !items.length || !navigator.onLine) return;
    sending = true;
    var sent = 0;
    var chain = Promise.resolve();
    items.forEach(function (item) {
      chain = chain.then(function () {
        return freshToken(item.token).then(function (csrfToken) {
          return post(item.url, csrfToken || item.csrf);
        }).then(function (response) {
          // Done (a redirect back to the page) or refused for good (4xx): off the queue.
          if (response.type === "opaqueredirect" || response.status < 500) {
            saveQueue(queued().filter(function (other) { return other.url !== item.url; }));
            sent += 1;
          }
        }, function () { /* still no network: next time */ });
      });
    });
    chain.then(function () {
      sending = false;
      var here = MEMBER.exec(window.location.pathname);
      if (sent && here) window.location.reload(); // show the group as it is now
    });
  }

  function showQueued(form) {
    var message = document.createElement("p");
    message.className = "offline-queued";
    message.setAttribute("role", "status");
    message.textContent = text("queued");
    form.hidden = true;
    form.parentNode.insertBefore(message, form.nextSibling);
  }

  function queuePress(form, token) {
    var csrf = form.querySelector("input[name=csrf_token]");
    var url = new URL(form.action).pathname;
    var items = queued().filter(function (item) { return item.url !== url; });
    items.push({ url: url, token: token, csrf: csrf ? csrf.value : "", at: new Date().toISOString() });
    saveQueue(items);
    showQueued(form);
  }

  // Check-in and home safe: sent now if the network answers, queued if it does not (the
  // service makes a second press harmless, so a press that did arrive is not a problem).
  function handlePress(form, token) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-online-submit")) return;
      event.preventDefault();
      if (!navigator.onLine) { queuePress(form, token); return; }
      var csrf = form.querySelector("input[name=csrf_token]");
      var controller = window.AbortController ? new AbortController() : null;
      var timer = controller && window.setTimeout(function () { controller.abort(); }, 15000);
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        redirect: "manual",
        signal: controller ? controller.signal : undefined,
      }).then(function (response) {
        window.clearTimeout(timer);
        if (response.type === "opaqueredirect") {
          window.location.assign("/me/" + token); // the page with its "Checked in" message
        } else {
          form.setAttribute("data-online-submit", "1"); // let the server say what is wrong
          form.submit();
        }
      }, function () {
        window.clearTimeout(timer);
        if (csrf) queuePress(form, token);
      });
    });
  }

  // --- the saved-copy note ------------------------------------------------------------
  function formatTime(iso) {
    var saved = new Date(iso);
    if (isNaN(saved.getTime())) return "";
    var lang = document.documentElement.lang || undefined;
    var options = { hour: "2-digit", minute: "2-digit" };
    if (saved.toDateString() !== new Date().toDateString()) {
      options.day = "numeric";
      options.month = "short";
    }
    try {
      return new Intl.DateTimeFormat(lang ? lang + "-u-ca-gregory" : undefined, options).format(saved);
    } catch (e) {
      return saved.toLocaleString();
    }
  }

  function showSavedCopy() {
    var savedAt = note && note.getAttribute("data-offline-saved");
    if (!savedAt) return false;
    var time = document.createElement("time");
    time.setAttribute("datetime", savedAt);
    time.textContent = formatTime(savedAt);
    var parts = text("saved-copy").split("%(time)s");
    note.textContent = parts[0];
    note.appendChild(time);
    note.appendChild(document.createTextNode(parts.slice(1).join("")));
    note.hidden = false;
    return true;
  }

  // --- keeping the sign ready (member page, first visit) -----------------------------------
  function fetchQuietly(url) {
    return fetch(url, { credentials: "same-origin" }).catch(function () { return null; });
  }

  // The sign page and what it needs: its style, script and the font of its script only.
  function keepSign(url) {
    fetchQuietly(url).then(function (response) {
      return response && response.ok ? response.text() : null;
    }).then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, "text/html");
      var classes = [];
      doc.querySelectorAll(".sign-line").forEach(function (line) {
        line.classList.forEach(function (name) { classes.push(name); });
      });
      doc.querySelectorAll("script[src]").forEach(function (script) {
        fetchQuietly(script.getAttribute("src"));
      });
      doc.querySelectorAll("link[rel=stylesheet]").forEach(function (link) {
        var cssUrl = new URL(link.getAttribute("href"), window.location.href);
        fetchQuietly(cssUrl.href).then(function (response) {
          return response && response.ok ? response.text() : "";
        }).then(function (css) { keepFonts(css, cssUrl, classes); });
      });
    });
  }

  function keepFonts(css, cssUrl, classes) {
    var families = [];
    classes.forEach(function (name) {
      var rule = new RegExp("\\." + name + "\\s*\\{[^}]*font-family:\\s*\"([^\"]+)\"").exec(css);
      if (rule) families.push(rule[1]);
    });
    var faces = css.match(/@font-face\s*\{[^}]*\}/g) || [];
    faces.forEach(function (face) {
      var family = /font-family:\s*"([^"]+)"/.exec(face);
      if (!family || families.indexOf(family[1]) < 0) return;
      var urls = face.match(/url\(["']?[^"')]+["']?\)/g) || [];
      urls.forEach(function (item) {
        var path = item.replace(/^url\(["']?/, "").replace(/["']?\)$/, "");
        fetchQuietly(new URL(path, cssUrl).href);
      });
    });
  }

  // A page opened before the worker controlled it was not saved: fetch it again through
  // the worker, with the static files it loaded (styles, scripts, fonts).
  function keepThisPage() {
    if (!controlledAtLoad) {
      fetchQuietly(window.location.href);
      (performance.getEntriesByType ? performance.getEntriesByType("resource") : [])
        .forEach(function (entry) {
          var url = new URL(entry.name);
          if (url.origin === window.location.origin && url.pathname.indexOf("/static/") === 0) {
            fetchQuietly(url.href);
          }
        });
    }
    var member = MEMBER.exec(window.location.pathname);
    if (!member) return;
    var signLink = document.querySelector('a[href="/me/' + member[1] + '/sign"]');
    if (signLink) keepSign(signLink.getAttribute("href"));
  }

  function whenControlled() {
    if (navigator.serviceWorker.controller) return Promise.resolve();
    return new Promise(function (resolve) {
      navigator.serviceWorker.addEventListener("controllerchange", resolve);
    });
  }

  // --- wiring -------------------------------------------------------------------------
  var here = MEMBER.exec(window.location.pathname);
  var fromCache = showSavedCopy();

  document.querySelectorAll("form[action]").forEach(function (form) {
    var path = new URL(form.action, window.location.href).pathname;
    var press = PRESS.exec(path);
    var leave = LEAVE.exec(path);
    if (press) handlePress(form, press[1]);
    else if (leave) forgetOnSubmit(form, leave[1]);
    else if (form.hasAttribute("data-offline-forget-all")) forgetOnSubmit(form, "all");
  });

  queued().forEach(function (item) {
    if (!here || item.token !== here[1]) return;
    document.querySelectorAll("form[action]").forEach(function (form) {
      if (new URL(form.action, window.location.href).pathname === item.url) showQueued(form);
    });
  });

  // "You left this group": nothing of it stays on this device.
  if (here && document.querySelector("[data-offline-forget]")) forget(here[1]);

  document.querySelectorAll("button[data-offline-forget-button]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      forget(here ? here[1] : "all").then(function () {
        button.setAttribute("aria-live", "polite");
        button.disabled = true;
        button.textContent = button.getAttribute("data-done");
      });
    });
  });

  window.addEventListener("online", function () {
    sendQueued();
    if (fromCache && !queued().length) window.location.reload();
  });

  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    if (!fromCache && !document.querySelector("[data-offline-forget]")) {
      whenControlled().then(keepThisPage);
    }
    sendQueued();
  }).catch(function () { /* no worker (private mode, old browser): pages work online */ });
})();
