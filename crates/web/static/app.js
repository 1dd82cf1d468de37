// Small helpers; every page works without them.

// A page restored from the browser's back/forward cache after a logout would show personal data
// again without asking the server: reload it instead, so the server decides (and redirects to
// the login page when the session is over).
window.addEventListener("pageshow", function (e) {
  if (e.persisted) location.reload();
});

// Live search on the people list: as the user types, the same page is fetched with the new
// query and its results replace the current ones. Without this script the form still works.
(function () {
  var input = document.getElementById("q");
  var form = input && input.form;
  var results = document.getElementById("results");
  if (!form || !results || !window.fetch || !window.DOMParser) return;
  var timer = null;
  var latest = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var params = new URLSearchParams(new FormData(form));
      params.delete("after");
      var url = form.action + "?" + params.toString();
      var mine = ++latest;
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          if (mine !== latest) return; // an older answer arriving late
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("results");
          if (fresh) {
            results.replaceWith(fresh);
            results = fresh;
            history.replaceState(null, "", url);
          }
        })
        .catch(function () {});
    }, 250);
  });
})();
