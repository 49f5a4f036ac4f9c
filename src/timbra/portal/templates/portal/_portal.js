// The portal's small progressive enhancement (the page works without it): live validation of
// the fiscal data form, and polling of the status fragment while invoices are being stamped.
(function () {
  "use strict";
  var form = document.getElementById("fiscal-form");
  if (form && form.dataset.validateUrl && window.fetch) {
    var timer = null;
    var check = function () {
      var body = new FormData(form);
      fetch(form.dataset.validateUrl, { method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": body.get("csrfmiddlewaretoken") } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          ["rfc", "nombre", "codigo_postal", "regimen_fiscal", "uso_cfdi"].forEach(function (name) {
            var box = form.querySelector('[data-field="' + name + '"]');
            var out = document.getElementById("error-" + name);
            if (!box || !out) { return; }
            var message = data.errors[name] || "";
            out.textContent = message;
            box.classList.toggle("invalid", message !== "");
          });
        })
        .catch(function () { /* offline: the server checks again on save */ });
    };
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 400); });
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(check, 100); });
  }
  var box = document.getElementById("estado");
  if (box && box.dataset.statusUrl && window.fetch) {
    var polls = 0;
    var poll = function () {
      var marker = document.getElementById("status-pending");
      if (!marker || marker.dataset.pending !== "1" || polls > 60) { return; }
      polls += 1;
      fetch(box.dataset.statusUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) { box.innerHTML = html; } setTimeout(poll, 2000); })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1500);
  }
})();
