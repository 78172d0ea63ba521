/* The calendar: fills the month or week grid from the data endpoint ("+N more" on a busy day
   loads that day page by page) and reschedules an item dragged to another day through the
   REST API: PUT /api/v1/<kind>/<id> {"due_at": "<new day>T<same time>"}. A refused change
   puts the item back and shows the API's message. */
(function () {
  "use strict";
  // The page's words in the user's language (relaydesk/work_views/base.html); {name} is filled in.
  var words = JSON.parse(document.getElementById("rd-work-words").textContent);
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return String(values[key]); });
  }
  var root = document.getElementById("rd-calendar");
  if (!root) { return; }
  var message = root.querySelector(".rd-cal-message");

  function params(extra) {
    var query = new URLSearchParams(root.getAttribute("data-query") || "");
    ["cursor", "day"].forEach(function (key) { query.delete(key); });
    query.set("mode", root.getAttribute("data-mode"));
    query.set("date", root.getAttribute("data-date"));
    Object.keys(extra || {}).forEach(function (key) { query.set(key, extra[key]); });
    return query.toString();
  }

  function say(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  var answer = window.RelaydeskApi.answer;
  var getJson = window.RelaydeskApi.getJson;

  function itemElement(data) {
    var item = document.createElement("li");
    item.className = "rd-cal-item rd-sla-" + data.sla + (data.overdue ? " rd-overdue" : "");
    item.setAttribute("data-id", data.id);
    item.setAttribute("data-kind", data.kind);
    item.setAttribute("data-due", data.due_at);
    var link = document.createElement("a");
    link.href = data.url;
    link.textContent = data.title;
    link.title = "#" + data.id + " " + data.title + " — " + fill(words.due_on, { date: data.due_at.replace("T", " ") }) +
      (data.assignees.length ? " — " + data.assignees.join(", ") : "");
    var time = document.createElement("span");
    time.className = "rd-cal-time";
    time.textContent = data.due_at.slice(11, 16);
    item.appendChild(time);
    item.appendChild(link);
    if (data.priority) {
      var stars = document.createElement("span");
      stars.className = "rd-stars";
      stars.textContent = "★".repeat(data.priority);
      item.appendChild(stars);
    }
    return item;
  }

  function cell(date) {
    return root.querySelector('.rd-day[data-date="' + date + '"]');
  }

  function showMoreButton(day, count, shown, handler) {
    var button = day.querySelector(".rd-day-more");
    button.hidden = count <= shown;
    button.textContent = fill(words.n_more, { n: count - shown });
    button.onclick = handler;
  }

  function expand(day, count, cursor) {
    var date = day.getAttribute("data-date");
    var list = day.querySelector(".rd-day-items");
    var extra = { day: date, page_size: 50 };
    if (cursor) { extra.cursor = cursor; }
    getJson(root.getAttribute("data-items-url") + "?" + params(extra)).then(function (body) {
      if (!cursor) { list.textContent = ""; }
      body.items.forEach(function (data) { list.appendChild(itemElement(data)); });
      day.classList.add("rd-expanded");
      showMoreButton(day, count, body.next_cursor ? list.children.length : count, function () {
        expand(day, count, body.next_cursor);
      });
    }).catch(function (error) { say(error.message); });
  }

  function load() {
    return getJson(root.getAttribute("data-data-url") + "?" +
                   params({ per_day: root.getAttribute("data-per-day") }))
      .then(function (body) {
        body.days.forEach(function (data) {
          var day = cell(data.date);
          if (!day) { return; }
          var list = day.querySelector(".rd-day-items");
          list.textContent = "";
          day.classList.remove("rd-expanded");
          data.items.forEach(function (item) { list.appendChild(itemElement(item)); });
          day.setAttribute("data-count", data.count);
          showMoreButton(day, data.count, data.items.length, function () {
            expand(day, data.count, null);
          });
        });
      })
      .catch(function (error) { say(error.message); });
  }

  function reschedule(item, from, to, index) {
    var due = to.getAttribute("data-date") + item.getAttribute("data-due").slice(10);
    say("");
    item.classList.add("rd-saving");
    fetch(root.getAttribute("data-api-url") + item.getAttribute("data-kind") + "/" +
          item.getAttribute("data-id"), {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": root.getAttribute("data-csrf") },
      body: JSON.stringify({ due_at: due })
    })
      .then(answer)
      .then(function () {
        item.setAttribute("data-due", due);
        return load();
      })
      .catch(function (error) {
        from.insertBefore(item, from.children[index] || null);
        say("Could not reschedule #" + item.getAttribute("data-id") + ": " + error.message);
      })
      .then(function () { item.classList.remove("rd-saving"); });
  }

  if (window.Sortable) {
    root.querySelectorAll(".rd-day-items").forEach(function (list) {
      window.Sortable.create(list, {
        group: "rd-calendar", sort: false, animation: 150, forceFallback: true,
        delay: 200, delayOnTouchOnly: true,
        onEnd: function (event) {
          if (event.from !== event.to) { reschedule(event.item, event.from, event.to, event.oldIndex); }
        }
      });
    });
  }
  load();

  // The calendar's own arguments (mode, date) survive the shared filter form.
  var form = document.querySelector(".rd-filter-bar");
  if (form) {
    form.addEventListener("submit", function () {
      root.querySelectorAll("[data-keep]").forEach(function (input) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = input.getAttribute("data-keep");
        hidden.value = input.value;
        form.appendChild(hidden);
      });
    });
  }
}());
