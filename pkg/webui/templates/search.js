// Project search on a static mirror: loads search-index.json (name,
// display name, latest version, page) once and filters it as you type.
// Without JavaScript the page still links every project by letter.
(function () {
  "use strict";
  var q = document.getElementById("q");
  var out = document.getElementById("results");
  if (!q || !out) return;
  // Shown only where it works: without JavaScript the lists stand alone.
  if (q.form) q.form.hidden = false;
  var index = null, loading = null;
  function load() {
    if (!loading) {
      loading = fetch(q.getAttribute("data-index")).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (data) { index = data; return data; });
    }
    return loading;
  }
  function item(e) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = e.p;
    a.textContent = e.d || e.n;
    li.appendChild(a);
    if (e.v) {
      var v = document.createElement("span");
      v.className = "muted";
      v.textContent = " " + e.v;
      li.appendChild(v);
    }
    return li;
  }
  function norm(s) { return s.toLowerCase().replace(/[-_.\s]+/g, "-"); }
  function show() {
    var term = norm(q.value.trim());
    out.textContent = "";
    if (!term) return;
    load().then(function (data) {
      if (norm(q.value.trim()) !== term) return;
      var starts = [], has = [];
      for (var i = 0; i < data.length; i++) {
        var n = norm(data[i].n), d = norm(data[i].d || "");
        if (n.indexOf(term) === 0 || d.indexOf(term) === 0) starts.push(data[i]);
        else if (n.indexOf(term) >= 0 || d.indexOf(term) >= 0) has.push(data[i]);
      }
      var all = starts.concat(has), max = 50;
      out.textContent = "";
      for (var j = 0; j < all.length && j < max; j++) out.appendChild(item(all[j]));
      if (all.length === 0) {
        var li = document.createElement("li");
        li.className = "muted";
        li.textContent = "No project matches.";
        out.appendChild(li);
      } else if (all.length > max) {
        var more = document.createElement("li");
        more.className = "muted";
        more.textContent = (all.length - max) + " more; type more of the name.";
        out.appendChild(more);
      }
    }).catch(function (err) {
      out.textContent = "";
      var li = document.createElement("li");
      li.className = "bad";
      li.textContent = "Search is unavailable (" + err.message + "); browse the list instead.";
      out.appendChild(li);
    });
  }
  q.addEventListener("input", show);
  q.form && q.form.addEventListener("submit", function (ev) {
    var first = out.querySelector("a");
    ev.preventDefault();
    if (first) window.location.href = first.href;
  });
  var pre = new URLSearchParams(window.location.search).get("q");
  if (pre) { q.value = pre; show(); }
})();
