// Territory picker, made better with JavaScript: while someone types in a
// « Commune, intercommunalité, département ou région » field, the places matching the
// text (GET /api/territories?q=) are offered as suggestions. Without this script the
// field still works: the server resolves a typed name, code or postal code.
"use strict";
(function () {
  var fields = document.querySelectorAll('input[name="territoire"]');
  Array.prototype.forEach.call(fields, function (input) {
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.parentNode.insertBefore(list, input.nextSibling);
    input.setAttribute("list", list.id);
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      var text = input.value.trim();
      if (timer) { clearTimeout(timer); }
      if (text.length < 2 || text === asked) { return; }
      timer = setTimeout(function () {
        asked = text;
        fetch("/api/territories?limit=8&q=" + encodeURIComponent(text), {
          headers: { Accept: "application/json" },
        })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (places) {
            if (input.value.trim() !== text) { return; }
            while (list.firstChild) { list.removeChild(list.firstChild); }
            places.forEach(function (p) {
              var option = document.createElement("option");
              // The key is exact (two communes may share a name); the label says which.
              option.value = p.id;
              option.label = p.label + " — " + p.level_label;
              option.textContent = option.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a convenience: the form still works */ });
      }, 150);
    });
  });
})();
