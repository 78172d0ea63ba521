/* New ticket: only the chosen type's statuses; the requester searched as one types, or
   created inline (the server creates it with the ticket). */
(function () {
  "use strict";

  var form = document.getElementById("rd-new-ticket");
  if (!form) { return; }
  var text = JSON.parse(document.getElementById("rd-new-ticket-text").textContent);
  var typeSelect = document.getElementById("rd-type");
  var statusSelect = document.getElementById("rd-status");

  function showStatuses() {
    var type = typeSelect.value;
    var first = null;
    Array.prototype.forEach.call(statusSelect.options, function (option) {
      var mine = option.getAttribute("data-type") === type;
      option.hidden = !mine;
      option.disabled = !mine;
      if (mine && first === null) { first = option; }
    });
    var current = statusSelect.options[statusSelect.selectedIndex];
    if (!current || current.disabled) { statusSelect.value = first ? first.value : ""; }
  }
  typeSelect.addEventListener("change", showStatuses);
  showStatuses();

  var query = document.getElementById("rd-requester-query");
  var list = document.getElementById("rd-requester-list");
  var hiddenId = document.getElementById("rd-requester-id");
  var chosen = document.getElementById("rd-requester-chosen");
  var newBox = document.getElementById("rd-requester-new");
  var emailInput = document.getElementById("rd-requester-email");
  var nameInput = document.getElementById("rd-requester-name");
  var timer = null;
  var asked = 0;

  function choose(id, label) {
    hiddenId.value = id;
    chosen.querySelector(".rd-chosen-text").textContent = label;
    chosen.hidden = false;
    query.hidden = true;
    query.value = label;
    list.hidden = true;
    newBox.hidden = true;
    emailInput.value = "";
    nameInput.value = "";
  }

  function createNew(typed) {
    hiddenId.value = "";
    list.hidden = true;
    newBox.hidden = false;
    if (typed.indexOf("@") > 0) { emailInput.value = typed; nameInput.focus(); }
    else { nameInput.value = typed; emailInput.focus(); }
  }

  function option(label, onPick) {
    var li = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.setAttribute("role", "option");
    button.textContent = label;
    button.addEventListener("click", onPick);
    li.appendChild(button);
    list.appendChild(li);
  }

  function search() {
    var typed = query.value.trim();
    var ticket = ++asked;
    if (!typed) { list.hidden = true; return; }
    var url = form.getAttribute("data-search-url") + "?q=" + encodeURIComponent(typed);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (body) {
        if (ticket !== asked) { return; }  // an older answer arriving late
        list.innerHTML = "";
        body.result.forEach(function (c) {
          var label = c.name === c.email ? c.email : c.name + " <" + c.email + ">";
          if (c.organization) { label += " · " + c.organization; }
          option(label, function () { choose(c.id, label); });
        });
        option(text.create.replace("%(text)s", typed), function () { createNew(typed); });
        list.hidden = false;
      })
      .catch(function (error) {
        list.innerHTML = "";
        var li = document.createElement("li");
        li.textContent = text.failed.replace("%(reason)s", error.message);
        list.appendChild(li);
        list.hidden = false;
      });
  }

  query.addEventListener("input", function () {
    hiddenId.value = "";
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  query.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && !list.hidden) {
      var first = list.querySelector("button");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });
  list.addEventListener("keydown", function (event) {
    var buttons = Array.prototype.slice.call(list.querySelectorAll("button"));
    var at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < buttons.length - 1) { event.preventDefault(); buttons[at + 1].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? buttons[at - 1] : query).focus(); }
    if (event.key === "Escape") { list.hidden = true; query.focus(); }
  });
  document.getElementById("rd-requester-clear").addEventListener("click", function () {
    hiddenId.value = "";
    chosen.hidden = true;
    query.hidden = false;
    query.value = "";
    query.focus();
  });
})();
