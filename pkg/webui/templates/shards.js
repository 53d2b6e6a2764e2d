// The sharded web UI's home: finds a project's shard from the SHA-256 of
// its normalized name (as tufgit computes it) and opens its page there.
(function () {
  var list = document.querySelector('ul.shards'), bits = +list.dataset.bits, width = Math.ceil(bits / 4);
  var out = document.getElementById('where');
  // Shown only where it works: without JavaScript the list stands alone.
  document.getElementById('find').hidden = false;
  function normalize(s) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(s)) return null;
    return s.toLowerCase().replace(/[-_.]+/g, '-');
  }
  document.getElementById('find').addEventListener('submit', function (e) {
    e.preventDefault();
    var name = normalize(document.getElementById('project').value.trim());
    if (!name) { out.textContent = 'Not a project name: letters, digits, "-", "_" and "." only, starting and ending with a letter or digit.'; return; }
    if (!window.crypto || !crypto.subtle) { out.textContent = 'This browser computes SHA-256 only on https pages; run: tufgit shard ' + name; return; }
    crypto.subtle.digest('SHA-256', new TextEncoder().encode(name)).then(function (d) {
      var v = new DataView(d).getUint32(0) >>> (32 - bits);
      var shard = v.toString(16).padStart(width, '0');
      var a = list.querySelector('a[data-shard="' + shard + '"]');
      if (!a) { out.textContent = 'No shard ' + shard + ' on this page.'; return; }
      location.href = a.getAttribute('href').replace(/index\.html$/, 'project-' + name + '.html');
    });
  });
})();
