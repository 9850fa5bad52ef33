// The service worker (served as /sw.js, scope "/"): a member's own page, their sign, public
// event pages and the static files keep working with no signal. Network first: a fresh
// page whenever the network answers, the last saved copy only when it does not.
//
// What is kept, and nothing else (an explicit allow-list; every other request, organiser
// pages and forms included, goes to the network untouched):
// - /me/<token> and /me/<token>/sign: the pages of the member who opened them on this
//   device. The server sends them with "Cache-Control: no-store" so that no HTTP cache or
//   proxy keeps them; this worker keeps its own copy in Cache Storage on purpose, to show
//   at the venue, and drops it when the member leaves (the link answers 404) or asks
//   (offline.js: leaving, signing out, "forget this device").
// - /e/<ref>: public event pages, unless the response says private or no-store (an
//   organiser signed in sees buttons of their own).
// - /static/…: styles, scripts, fonts, icons.
"use strict";

var PAGES = "pages-v1";
var STATIC = "static-v1";
var MEMBER_PAGE = /^\/me\/([A-Za-z0-9_-]+)(?:\/sign)?$/;
var EVENT_PAGE = /^\/e\/[A-Za-z0-9_-]+$/;
var STATIC_FILE = /^\/static\//;
var SAVED_AT = "X-Offline-Saved-At";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name !== PAGES && name !== STATIC;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function kindOf(url) {
  if (url.origin !== self.location.origin) return null;
  if (STATIC_FILE.test(url.pathname)) return "static";
  if (url.search) return null; // pages are kept by their plain address only
  if (MEMBER_PAGE.test(url.pathname)) return "member";
  if (EVENT_PAGE.test(url.pathname)) return "event";
  return null;
}

function keepable(response, kind) {
  if (!response.ok || response.type !== "basic" || response.redirected) return false;
  if (kind === "static") return true;
  if (!/^text\/html/.test(response.headers.get("Content-Type") || "")) return false;
  if (kind === "member") return true; // no-store on purpose: see the top of this file
  return !/\b(private|no-store)\b/.test(response.headers.get("Cache-Control") || "");
}

// A page as kept: with the time it was saved, without the one-time messages it showed
// ("Checked in", "You left the group") that must not come back offline.
function savedCopy(response) {
  return response.text().then(function (html) {
    var headers = new Headers(response.headers);
    headers.set(SAVED_AT, new Date().toISOString());
    headers.delete("Content-Length");
    html = html.replace(/<div class="flashes"[\s\S]*?<\/div>/, "");
    return new Response(html, { status: response.status, headers: headers });
  });
}

// A saved page served offline: its note (templates/base.html) learns when it was saved,
// and offline.js shows "Saved copy from 19:40 — you are offline".
function fromCache(cached) {
  var savedAt = cached.headers.get(SAVED_AT) || "";
  return cached.text().then(function (html) {
    html = html.replace('data-offline-saved=""', 'data-offline-saved="' + savedAt + '"');
    return new Response(html, { status: 200, headers: cached.headers });
  });
}

function networkFirst(event, kind) {
  var request = event.request;
  var cacheName = kind === "static" ? STATIC : PAGES;
  return fetch(request).then(function (response) {
    var store = caches.open(cacheName);
    if (keepable(response, kind)) {
      var copy = kind === "static" ? Promise.resolve(response.clone()) : savedCopy(response.clone());
      event.waitUntil(Promise.all([copy, store]).then(function (both) {
        return both[1].put(request, both[0]);
      }));
    } else if (kind !== "static" && response.status >= 400 && response.status < 500) {
      // Gone (left, removed, withdrawn): the old copy must not be shown any more.
      event.waitUntil(store.then(function (cache) { return cache.delete(request); }));
    }
    return response;
  }, function (error) {
    return caches.open(cacheName).then(function (cache) {
      return cache.match(request, { ignoreVary: true });
    }).then(function (cached) {
      if (!cached) throw error;
      return kind === "static" ? cached : fromCache(cached);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var kind = kindOf(new URL(request.url));
  if (!kind) return;
  event.respondWith(networkFirst(event, kind));
});

// offline.js asks to forget a member's pages (one token, or every page: "all").
function forget(token) {
  return caches.open(PAGES).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.filter(function (request) {
        var match = MEMBER_PAGE.exec(new URL(request.url).pathname);
        return token === "all" || (match && match[1] === token);
      }).map(function (request) { return cache.delete(request); }));
    });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "forget") return;
  var done = forget(data.token || "all").then(function () {
    if (event.ports[0]) event.ports[0].postMessage("forgotten");
  });
  event.waitUntil(done);
});
