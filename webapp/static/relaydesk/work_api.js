/* What the work views' scripts share: reading an API answer, turning its errors into words. */
(function () {
  "use strict";
  // The page's words in the user's language (relaydesk/work_views/base.html); {name} is filled in.
  // (The workspace's inbox loads this script too, without the work views' words.)
  var box = document.getElementById("rd-work-words");
  var words = box ? JSON.parse(box.textContent) : { server_answered: "The server answered {status}." };
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return String(values[key]); });
  }

  function describe(body, status) {
    // FAB answers {"message": "…"} or {"message": {field: [problems]}}; ours {"errors": …}.
    var problem = body && (body.message || body.errors);
    if (!problem) { return fill(words.server_answered, { status: status }); }
    if (typeof problem === "string") { return problem; }
    return Object.keys(problem).map(function (key) {
      var value = problem[key];
      return key + ": " + (Array.isArray(value) ? value.join("; ") : JSON.stringify(value));
    }).join(" — ");
  }

  /** The JSON body of ``response``; a refusal becomes an Error carrying its message. */
  function answer(response) {
    return response.json().catch(function () { return null; }).then(function (body) {
      if (!response.ok) { throw new Error(describe(body, response.status)); }
      return body;
    });
  }

  /** GET ``url`` as JSON with the session's cookie; its body, or an Error naming the refusal. */
  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(answer);
  }

  window.RelaydeskApi = { answer: answer, describe: describe, getJson: getJson };
})();
