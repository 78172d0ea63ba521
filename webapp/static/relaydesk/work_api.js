/* What the work views' scripts share: reading an API answer, turning its errors into words. */
(function () {
  "use strict";

  function describe(body, status) {
    // FAB answers {"message": "…"} or {"message": {field: [problems]}}; ours {"errors": …}.
    var problem = body && (body.message || body.errors);
    if (!problem) { return "The server answered " + status + "."; }
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
