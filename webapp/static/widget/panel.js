// The widget panel: tabs, and the chat (start, send, poll every 1.5 s, end).
// The visitor's key lives in localStorage and goes in the X-Widget-Key header; the server
// answers with messages after the last id this page has shown.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("widget-config").textContent);
  var POLL_MS = 1500;

  // --- tabs ---------------------------------------------------------------------------
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".widget-tabs [data-pane]"));
  function showPane(tab) {
    tabs.forEach(function (other) {
      var pane = document.getElementById(other.getAttribute("data-pane"));
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      pane.hidden = !selected;
      var frame = pane.querySelector("iframe[data-src]");
      if (selected && frame && !frame.getAttribute("src")) {
        frame.setAttribute("src", frame.getAttribute("data-src"));  // loaded when first shown
      }
    });
  }
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () { showPane(tab); });
  });
  var first = tabs.filter(function (t) { return t.getAttribute("aria-selected") === "true"; })[0];
  if (first) { showPane(first); }

  var startForm = document.getElementById("chat-start");
  if (!startForm) { return; }  // chat is off for this portal

  // --- chat ---------------------------------------------------------------------------
  var thread = document.getElementById("chat-thread");
  var list = thread.querySelector(".chat-messages");
  var replyForm = document.getElementById("chat-reply");
  var notice = thread.querySelector(".chat-notice");
  var ended = thread.querySelector(".chat-ended");
  var lastId = 0;
  var timer = null;
  var seen = {};

  function storedKey() {
    try { return window.localStorage.getItem(config.storageKey); } catch (e) { return null; }
  }
  function storeKey(key) {
    try {
      if (key) { window.localStorage.setItem(config.storageKey, key); }
      else { window.localStorage.removeItem(config.storageKey); }
    } catch (e) { /* storage blocked: the chat lasts as long as this page */ }
    memoryKey = key;
  }
  var memoryKey = storedKey();

  function call(method, path, body) {
    var options = {
      method: method,
      headers: { "X-Widget-Key": memoryKey || "new", "Accept": "application/json" },
      credentials: "same-origin",
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(config.api + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function showErrors(form, errors) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-field]"), function (box) {
      var messages = (errors || {})[box.getAttribute("data-field")];
      var target = box.classList.contains("error") ? box : box.querySelector(".error");
      box.classList.toggle("has-error", !!messages);
      if (target) {
        target.textContent = messages ? messages.join(" ") : "";
        target.hidden = !messages;
      }
    });
  }

  function addMessage(message) {
    if (seen[message.id]) { return; }
    seen[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var item = document.createElement("li");
    item.className = "chat-message " + (message.from_visitor ? "from-visitor" : "from-agent");
    item.setAttribute("data-id", message.id);
    var meta = document.createElement("div");
    meta.className = "meta";
    var when = new Date(message.created_at);
    meta.textContent = message.author + " · " + when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    var body = document.createElement("div");
    body.className = "chat-body";
    body.textContent = message.body;  // text, never HTML
    item.appendChild(meta);
    item.appendChild(body);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  var greeting = thread.querySelector(".chat-greeting");
  var away = thread.querySelector(".chat-away");
  Array.prototype.forEach.call(document.querySelectorAll(".chat-leave-request"), function (b) {
    b.addEventListener("click", function () {  // the away reply's offer: the request tab
      showPane(document.getElementById("tab-request"));
    });
  });

  function applyBot(bot) {
    if (!bot) { return; }
    greeting.textContent = bot.greeting || "";
    away.hidden = !bot.away;
    away.querySelector("span").textContent = bot.away ? bot.away.text + " " : "";
  }

  function applyState(state) {
    applyBot(state.bot);
    (state.messages || []).forEach(addMessage);
    if (state.ticket) {
      notice.textContent = state.ticket.text + " ";
      var link = document.createElement("a");
      link.href = state.ticket.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = config.text.ticketLink;
      notice.appendChild(link);
      notice.hidden = false;
    }
    var closed = state.status === "closed";
    ended.hidden = !closed;
  }

  function showThread() {
    startForm.hidden = true;
    thread.hidden = false;
  }

  function showStart() {
    stopPolling();
    storeKey(null);
    list.innerHTML = "";
    seen = {};
    lastId = 0;
    notice.hidden = true;
    ended.hidden = true;
    away.hidden = true;
    thread.hidden = true;
    startForm.hidden = false;
  }

  function poll() {
    if (!memoryKey) { return; }
    call("GET", "?after=" + lastId).then(function (result) {
      if (result.status === 404) { showStart(); return; }  // the chat is gone
      if (result.status === 200) {
        showErrors(replyForm, null);
        applyState(result.data);
      }
      schedule();
    }, function () {
      showErrors(replyForm, { _schema: [config.text.offline] });
      schedule();
    });
  }
  function schedule() {
    stopPolling();
    timer = window.setTimeout(poll, POLL_MS);
  }
  function stopPolling() {
    if (timer) { window.clearTimeout(timer); timer = null; }
  }

  startForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = { body: startForm.elements.body.value, page_url: config.pageUrl };
    if (startForm.elements.name) { data.name = startForm.elements.name.value; }
    if (startForm.elements.email) { data.email = startForm.elements.email.value; }
    var button = startForm.querySelector("button[type=submit]");
    button.disabled = true;
    memoryKey = null;
    call("POST", "", data).then(function (result) {
      button.disabled = false;
      if (result.status !== 201) {
        showErrors(startForm, result.data.errors || { _schema: [config.text.failed] });
        return;
      }
      showErrors(startForm, null);
      startForm.elements.body.value = "";
      storeKey(result.data.key);
      showThread();
      applyState(result.data);
      schedule();
    }, function () {
      button.disabled = false;
      showErrors(startForm, { _schema: [config.text.failed] });
    });
  });

  replyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var field = replyForm.elements.body;
    var button = replyForm.querySelector("button[type=submit]");
    button.disabled = true;
    call("POST", "/messages", { body: field.value }).then(function (result) {
      button.disabled = false;
      if (result.status === 404) { showStart(); return; }
      if (result.status !== 201) {
        showErrors(replyForm, result.data.errors || { _schema: [config.text.failed] });
        return;
      }
      showErrors(replyForm, null);
      field.value = "";
      ended.hidden = true;
      addMessage(result.data.message);
    }, function () {
      button.disabled = false;
      showErrors(replyForm, { _schema: [config.text.failed] });
    });
  });

  replyForm.elements.body.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {  // Enter sends, Shift+Enter breaks the line
      event.preventDefault();
      replyForm.requestSubmit();
    }
  });

  document.getElementById("chat-end").addEventListener("click", function () {
    call("POST", "/close", {}).then(function (result) {
      if (result.status === 200) { applyState({ status: "closed" }); }
    });
  });
  document.getElementById("chat-new").addEventListener("click", showStart);

  if (memoryKey) {  // a chat from an earlier visit: carry on
    showThread();
    poll();
  }
})();
