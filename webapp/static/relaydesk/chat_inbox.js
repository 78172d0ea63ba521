// The chat inbox refreshes its rows every few seconds, so new chats and answers show up
// without a reload (the rows come from the same page, fetched again).
(function () {
  "use strict";
  var rows = document.getElementById("rd-chat-rows");
  if (!rows) { return; }
  var REFRESH_MS = 4000;

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("rd-chat-rows");
          if (fresh) { rows.innerHTML = fresh.innerHTML; }
        }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ })
      .then(function () { window.setTimeout(refresh, REFRESH_MS); });
  }
  window.setTimeout(refresh, REFRESH_MS);
})();
