// The home page's skill search, as you type: asks /api/skills (ranked by postings in the window) and redraws
// the list the server drew. Without JavaScript the same form submits to / and the server draws the list.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("skill-results");
  var status = document.getElementById("results-status");
  if (!input || !list || !status || !window.fetch) return;
  var days = list.getAttribute("data-window-days"), asOf = list.getAttribute("data-as-of");
  var pageQuery = list.getAttribute("data-page-query") || "";  // ?as_of= when the counts are for older data
  var kindLabels = JSON.parse(list.getAttribute("data-kind-labels") || "{}");
  var timer = null, asked = 0;

  function plural(n, one, many) { return n.toLocaleString("en-US") + " " + (n === 1 ? one : many); }

  function link(href, text, className, label) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (className) a.className = className;
    if (label) a.setAttribute("aria-label", label);
    return a;
  }

  var popular = document.getElementById("popular");  // the by-kind lists: for browsing, not under results

  function render(q, skills) {
    if (popular) popular.hidden = !!q;
    list.textContent = "";
    skills.forEach(function (s) {
      var li = document.createElement("li"), cell = document.createElement("span"), count = document.createElement("span");
      cell.className = "name-cell";
      cell.appendChild(link("/skills/" + encodeURIComponent(s.slug) + pageQuery, s.name, "name"));
      if (kindLabels[s.kind]) {  // as the server draws it: "Python language"
        var kind = document.createElement("span");
        kind.className = "kind muted small";
        kind.textContent = kindLabels[s.kind];
        cell.appendChild(document.createTextNode(" "));
        cell.appendChild(kind);
      }
      count.className = "count";
      count.textContent = plural(s.postings, "posting", "postings");
      li.appendChild(cell);
      li.appendChild(count);
      li.appendChild(link("/?skill=" + encodeURIComponent(s.slug) + "#subscribe", "Follow", "follow", "Follow " + s.name));
      list.appendChild(li);
    });
    var span = " job postings in the " + days + " days to " + asOf;
    if (!q) status.textContent = "Most asked for:" + span;
    else if (skills.length) status.textContent = plural(skills.length, "skill", "skills") + " matching \u201c" + q + "\u201d, by" + span;
    else status.textContent = "No skill matches \u201c" + q + "\u201d. Try a shorter name.";
  }

  function search() {
    var q = input.value.trim(), mine = ++asked;
    fetch("/api/skills?limit=30&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (skills) {
        if (mine !== asked) return;  // a newer keystroke's answer wins
        render(q, skills);
        history.replaceState(null, "", q ? "/?q=" + encodeURIComponent(q) : "/");
      })
      .catch(function () {
        if (mine === asked) status.textContent = "Search as you type is unavailable: press Search.";
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
})();
