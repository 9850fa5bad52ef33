// The sign on screen: fit the text to the screen, keep the screen awake, tap for full screen.
(function () {
  "use strict";
  var frame = document.getElementById("sign");
  if (!frame) return;
  var lines = Array.prototype.slice.call(frame.querySelectorAll(".sign-line"));
  var SECOND_SCALE = 0.6;

  function setSize(px) {
    lines.forEach(function (line) {
      var scale = line.classList.contains("sign-second") ? SECOND_SCALE : 1;
      line.style.fontSize = px * scale + "px";
    });
  }

  function fits() {
    if (frame.scrollHeight > frame.clientHeight + 1) return false;
    return lines.every(function (line) { return line.scrollWidth <= line.clientWidth + 1; });
  }

  // The largest size at which every word stays whole and the whole text stays on screen.
  function fit() {
    var low = 8;
    var high = Math.max(window.innerWidth, window.innerHeight);
    while (high - low > 1) {
      var mid = (low + high) / 2;
      setSize(mid);
      if (fits()) { low = mid; } else { high = mid; }
    }
    setSize(low);
    frame.setAttribute("data-font-size", String(Math.floor(low)));
  }

  var lock = null;
  function keepAwake() {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible") {
      if (!("wakeLock" in navigator)) frame.setAttribute("data-wake-lock", "unsupported");
      return;
    }
    navigator.wakeLock.request("screen").then(function (sentinel) {
      lock = sentinel;
      frame.setAttribute("data-wake-lock", "on");
      lock.addEventListener("release", function () { frame.setAttribute("data-wake-lock", "off"); });
    }).catch(function () { frame.setAttribute("data-wake-lock", "refused"); });
  }

  // A wake lock is dropped when the page is hidden; take it again when it comes back.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && (lock === null || lock.released)) keepAwake();
  });
  frame.addEventListener("click", function () {
    var root = document.documentElement;
    if (!document.fullscreenElement && root.requestFullscreen) {
      root.requestFullscreen().catch(function () {});
    }
    keepAwake();
  });
  window.addEventListener("resize", fit);
  window.addEventListener("orientationchange", fit);
  fit();
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(fit);
  keepAwake();
})();
