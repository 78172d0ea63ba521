// One chat, live: polls the staff messages endpoint every 1.5 s and sends answers with fetch
// (the CSRF token comes from the page).
(function () {
  "use strict";
  var root = document.getElementById("rd-chat");
  if (!root) { return; }
  // The page's words in the user's language (relaydesk/chat_conversation.html).
  var words = JSON.parse(document.getElementById("rd-chat-words").textContent);
  var list = root.querySelector(".rd-messages");
  var form = document.getElementById("rd-answer");
  var POLL_MS = 1500;
  var lastId = 0;
  Array.prototype.forEach.call(list.querySelectorAll("[data-id]"), function (li) {
    lastId = Math.max(lastId, parseInt(li.getAttribute("data-id"), 10));
  });

  function add(message) {
    if (list.querySelector('[data-id="' + message.id + '"]')) { return; }
    lastId = Math.max(lastId, message.id);
    var li = document.createElement("li");
    li.className = "rd-message " + (message.from_visitor ? "rd-visitor" : "rd-agent");
    li.setAttribute("data-id", message.id);
    var meta = document.createElement("div");
    meta.className = "rd-meta";
    meta.textContent = message.author + " · " + message.created_at.slice(0, 16).replace("T", " ") + " UTC";
    var body = document.createElement("div");
    body.className = "rd-body";
    body.textContent = message.body;
    li.appendChild(meta);
    li.appendChild(body);
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  function poll() {
    fetch(root.getAttribute("data-messages-url") + "?after=" + lastId,
          { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.messages.forEach(add);
        root.querySelector(".rd-status").textContent = words["status_" + data.status] || data.status;
        if (data.item_id) {
          var cell = root.querySelector(".rd-ticket");
          if (!cell.querySelector("a")) {
            cell.innerHTML = "";
            var link = document.createElement("a");
            link.href = data.item_url;
            link.textContent = "#" + data.item_id;
            cell.appendChild(link);
          }
        }
      })
      .catch(function () { /* the next round tries again */ })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }
  window.setTimeout(poll, POLL_MS);

  if (!form) { return; }  // read-only users
  var field = form.elements.body;
  var error = form.querySelector(".rd-error");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(root.getAttribute("data-answer-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": root.getAttribute("data-csrf") },
      body: JSON.stringify({ body: field.value }),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        button.disabled = false;
        if (response.status === 201) {
          field.value = "";
          error.hidden = true;
          add(data.message);
          return;
        }
        var errors = (data && data.errors) || {};
        error.textContent = (errors.body || errors._schema ||
                             [words.not_sent.replace("{status}", response.status)]).join(" ");
        error.hidden = false;
      });
    }, function () {
      button.disabled = false;
      error.textContent = words.unreachable;
      error.hidden = false;
    });
  });
  field.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
