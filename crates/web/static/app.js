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
  // The same rule as the server's: digits alone need at least 4 (a phone's start or end, an ID
  // number's first 10); with a name, the ID number's last 4 to 6 characters.
  var min = parseInt(input.getAttribute("data-min-digits"), 10) || 4;
  function canMatch(text) {
    var q = text.trim();
    var digits = (q.match(/[0-9]/g) || []).length;
    if (digits === 0) return true;
    if (/^[0-9]+$/.test(q)) return q.length >= min;
    var tail = q.match(/[0-9]+[xX]?/);
    var len = tail ? tail[0].length : 0;
    return digits <= 6 && len >= 4 && len <= 6 && q.replace(/[0-9xX\s]/g, "").length > 0;
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!canMatch(input.value)) return; // still typing a number: leave the list as it is
      var params = new URLSearchParams(new FormData(form));
      params.delete("after");
      params.delete("page");
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

// After a failed submit the error summary takes the focus, so a screen reader reads every
// problem at once and a keyboard user can follow its links to the fields.
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();

// The area picker: a filter box over the select of area names (the select alone works too).
(function () {
  var boxes = document.querySelectorAll("input.area-filter");
  Array.prototype.forEach.call(boxes, function (box) {
    var select = document.getElementById(box.getAttribute("data-for"));
    if (!select) return;
    box.hidden = false;
    var all = Array.prototype.slice.call(select.options);
    box.addEventListener("input", function () {
      var q = box.value.trim();
      var first = null;
      all.forEach(function (o) {
        var show = !o.value || !q || o.text.indexOf(q) >= 0 || o.value.indexOf(q) === 0;
        o.hidden = !show;
        if (show && o.value && !first) first = o;
      });
      if (q && first && select.selectedOptions[0] && select.selectedOptions[0].hidden) select.value = first.value;
    });
  });
})();

// The person form's household: "新建户" hides the number (the register gives one); "加入已有户"
// shows a search whose hits fill in the number and the area.
(function () {
  var radios = document.querySelectorAll("input[name=new_household]");
  var number = document.getElementById("f-household_no");
  var search = document.querySelector(".household-search");
  if (!radios.length || !number || !search) return;
  var field = number.closest(".field");
  function sync() {
    var fresh = document.querySelector("input[name=new_household]:checked");
    var isNew = fresh && fresh.value === "1";
    if (field) field.hidden = isNew;
    search.hidden = isNew;
  }
  Array.prototype.forEach.call(radios, function (r) { r.addEventListener("change", sync); });
  sync();
  var box = document.getElementById("household-q");
  var hits = document.getElementById("household-hits");
  var area = document.getElementById("f-area_code");
  var timer = null;
  var latest = 0;
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = box.value.trim();
      var mine = ++latest;
      if (q.length < 2) { hits.textContent = ""; return; }
      fetch("/households/lookup?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (list) {
          if (mine !== latest) return;
          hits.textContent = "";
          if (!list.length) {
            var li = document.createElement("li");
            li.textContent = search.getAttribute("data-none") || "—";
            hits.appendChild(li);
            return;
          }
          list.forEach(function (h) {
            var li = document.createElement("li");
            var b = document.createElement("button");
            b.type = "button";
            b.className = "link";
            b.textContent = h.label;
            b.addEventListener("click", function () {
              number.value = h.household_no;
              if (area) area.value = h.area_code;
              hits.textContent = "";
              number.focus();
            });
            li.appendChild(b);
            hits.appendChild(li);
          });
        })
        .catch(function () {});
    }, 250);
  });
})();

/* --- certs --- */
// The certificate application: only the chosen kind's fields are shown (each field lists
// the kinds that ask it in data-kinds); with no kind chosen, all of them.
(function () {
  var form = document.querySelector("form.certificate-form");
  if (!form) return;
  var kind = form.querySelector("#f-kind");
  if (!kind) return;
  function show() {
    var chosen = kind.value;
    var fields = form.querySelectorAll(".field[data-kinds]");
    for (var i = 0; i < fields.length; i++) {
      var kinds = " " + fields[i].getAttribute("data-kinds") + " ";
      fields[i].hidden = chosen !== "" && kinds.indexOf(" " + chosen + " ") < 0;
    }
  }
  kind.addEventListener("change", show);
  show();
  // The review's warnings belong to one kind: another kind asks the server again (when
  // nothing has been typed yet) or hides them.
  var typed = false;
  form.addEventListener("input", function (e) { if (e.target !== kind) typed = true; });
  kind.addEventListener("change", function () {
    var box = form.querySelector(".warnings");
    if (!typed && kind.value) {
      window.location.search = "?kind=" + encodeURIComponent(kind.value);
    } else if (box) {
      box.hidden = box.getAttribute("data-kind") !== kind.value;
    }
  });
})();
