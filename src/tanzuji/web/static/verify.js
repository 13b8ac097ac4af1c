// "Check again" on the public certificate page: asks the server to verify the certificate
// anew (signature, ledger inclusion, status proof under the newest signed tree head) and,
// when the page was opened from a label's QR code (URL#TZJ2...), the signed claim of the QR
// code too. The fragment never reaches the server with the page request; it is sent here
// explicitly. No build step, no library.
(function () {
  "use strict";
  var button = document.getElementById("recheck");
  if (!button) { return; }
  var out = document.getElementById("recheck-result");
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function post(url, body) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (csrf && csrf.content) { headers["X-CSRF-Token"] = csrf.content; }
    return fetch(url, { method: "POST", headers: headers, body: JSON.stringify(body || {}),
                        credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); });
  }

  function line(text, good) {
    var li = document.createElement("li");
    li.textContent = text;
    if (good === false) { li.className = "error"; }
    return li;
  }

  function show(title, ok, checks) {
    var h = document.createElement("p");
    h.className = ok ? "ok" : "error";
    h.textContent = title;
    var list = document.createElement("ul");
    checks.forEach(function (c) { list.appendChild(line(c.text, c.good)); });
    out.appendChild(h);
    out.appendChild(list);
  }

  button.addEventListener("click", function () {
    var id = button.getAttribute("data-certificate");
    out.textContent = button.getAttribute("data-running");
    button.disabled = true;
    var jobs = [post("/api/v1/public/certificates/" + encodeURIComponent(id) + "/verify")];
    var token = window.location.hash.slice(1);
    if (token.indexOf("TZJ") === 0) {
      jobs.push(post("/api/v1/public/verify-token", { text: window.location.href }));
    }
    Promise.all(jobs).then(function (answers) {
      out.textContent = "";
      var cert = answers[0];
      var good = cert.ok && cert.body.verified && cert.body.status === "valid";
      var checks = cert.ok ? cert.body.checks.map(function (c) { return { text: c, good: true }; })
                           : [{ text: cert.body.error.message, good: false }];
      if (cert.ok && cert.body.problem) { checks.push({ text: cert.body.problem, good: false }); }
      if (cert.ok) { checks.push({ text: "status: " + cert.body.status, good: cert.body.status === "valid" }); }
      show(button.getAttribute(good ? "data-ok" : "data-bad"), good, checks);
      if (answers.length > 1) {
        var claim = answers[1];
        var claimOk = claim.ok && claim.body.status === "valid";
        var lines = claim.ok ? claim.body.checks.map(function (c) { return { text: c, good: true }; })
                             : [{ text: claim.body.error.message, good: false }];
        show(button.getAttribute("data-token-label"), claimOk, lines);
      }
    }).catch(function (e) {
      out.textContent = String(e);
    }).then(function () { button.disabled = false; });
  });
}());
