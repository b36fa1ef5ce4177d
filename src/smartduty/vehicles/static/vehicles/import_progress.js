// Polls an import job's progress on its admin page (a file, not inline: the site's CSP
// allows scripts from our origin only).
(function () {
  var bar = document.getElementById("import-progress");
  var text = document.getElementById("import-progress-text");
  if (!bar || bar.dataset.finished === "1") { return; }
  function poll() {
    fetch(bar.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        bar.value = d.percent;
        text.textContent = d.summary;
        if (d.is_finished) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
