// Live countdown on the owner page; no inline script (strict CSP).
(function () {
  "use strict";
  var box = document.getElementById("countdown");
  if (!box) return;
  var out = document.getElementById("countdown-time");
  var deadline = Date.parse(box.getAttribute("data-deadline"));
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    out.textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
    if (left === 0) {
      box.classList.add("expired");
      out.textContent = "时限已到";
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
