// Search filters (subscribe and settings forms): as filters change, ask /api/searches/preview how many job
// postings the search would have matched lately and say so under the filters. Without JavaScript the form's
// "Preview" button asks the server for the same counts.
(function () {
  "use strict";
  if (!window.fetch || !window.URLSearchParams) return;
  var SKIP = { csrf_token: 1, email: 1, cadence: 1, action: 1, preview: 1 };

  function plural(n) { return n.toLocaleString("en-US") + " job posting" + (n === 1 ? "" : "s"); }

  function wire(form) {
    if (form.getAttribute("data-wired")) return;
    form.setAttribute("data-wired", "1");
    var out = form.querySelector("[data-preview-output]");
    if (!out) return;
    var timer = null, asked = 0;

    function ask() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (!SKIP[name] && typeof value === "string" && value !== "") params.append(name, value);
      });
      if (!params.get("skill")) { out.textContent = "Choose a skill to see what the search would match."; return; }
      var mine = ++asked;
      out.textContent = "Counting…";
      fetch("/api/searches/preview?" + params.toString(), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (mine !== asked) return;  // a newer question is on its way
          if (!res.ok) { out.textContent = res.body.detail || "That search cannot be counted."; return; }
          var b = res.body;
          out.textContent = b.search + ": " + plural(b.postings_7_days) + " in the last 7 days, " +
            plural(b.postings_30_days) + " in the last 30 (to " + b.as_of + ").";
        })
        .catch(function () { if (mine === asked) out.textContent = ""; });
    }

    function later() { clearTimeout(timer); timer = setTimeout(ask, 350); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    var details = out.closest("details");
    if (details) details.addEventListener("toggle", function () { if (details.open) ask(); });
    else ask();
  }

  function wireAll() { Array.prototype.forEach.call(document.querySelectorAll("form[data-search-preview]"), wire); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wireAll);
  else wireAll();
})();
