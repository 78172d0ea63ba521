/* The status board: loads each column a keyset page at a time as it is scrolled, and moves
   cards between columns (drag and drop with SortableJS, or the card's "Move to…" select)
   through the REST API: PUT /api/v1/<kind>/<id> {"status": <status id>}. A refused move puts
   the card back and shows the API's message; an accepted one refreshes the counts. */
(function () {
  "use strict";
  // The page's words in the user's language (relaydesk/work_views/base.html); {name} is filled in.
  var words = JSON.parse(document.getElementById("rd-work-words").textContent);
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return String(values[key]); });
  }
  var root = document.getElementById("rd-board");
  if (!root) { return; }
  var csrf = root.getAttribute("data-csrf");
  var message = root.querySelector(".rd-board-message");
  var columns = {};
  var statuses = [];

  function params(extra) {
    var query = new URLSearchParams(root.getAttribute("data-query") || "");
    query.delete("cursor");
    Object.keys(extra || {}).forEach(function (key) { query.set(key, extra[key]); });
    return query.toString();
  }

  function say(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  var answer = window.RelaydeskApi.answer;
  var getJson = window.RelaydeskApi.getJson;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function moveSelect(card) {
    var select = element("select", "form-control input-sm rd-move");
    select.setAttribute("aria-label", words.move_to);
    select.appendChild(element("option", "", words.move_to_choose)).value = "";
    statuses.forEach(function (status) {
      if (String(status.id) !== card.getAttribute("data-status-id")) {
        select.appendChild(element("option", "", status.name)).value = status.id;
      }
    });
    select.addEventListener("change", function () {
      if (!select.value) { return; }
      var from = card.parentNode;
      var index = Array.prototype.indexOf.call(from.children, card);
      var to = columns[select.value].list;
      to.insertBefore(card, to.firstChild);
      move(card, from, to, index);
    });
    return select;
  }

  function cardElement(data) {
    var card = element("li", "rd-card");
    card.setAttribute("data-id", data.id);
    card.setAttribute("data-kind", data.kind);
    card.setAttribute("data-status-id", data.status_id);
    if (data.stuck) { card.classList.add("rd-stuck-card"); }
    var title = element("a", "rd-card-title", "#" + data.id + " " + data.title);
    title.href = data.url;
    card.appendChild(title);
    var facts = element("div", "rd-card-facts");
    var stars = element("span", "rd-stars", "★".repeat(data.priority) + "☆".repeat(5 - data.priority));
    stars.title = fill(words.priority_n, { n: data.priority });
    facts.appendChild(stars);
    if (data.sla !== "none") {
      facts.appendChild(element("span", "rd-sla rd-sla-" + data.sla, words["sla_" + data.sla] || data.sla));
    }
    if (data.due_at) {
      var due = element("span", "rd-due-at" + (data.overdue ? " rd-overdue" : ""),
                        fill(words.due_on, { date: data.due_at.slice(0, 10) }));
      facts.appendChild(due);
    }
    var days = element("span", "rd-days", fill(words.days_here, { n: data.days_in_column }));
    if (data.stuck) { days.title = fill(words.stuck_longer, { n: root.getAttribute("data-stuck-days") }); }
    facts.appendChild(days);
    card.appendChild(facts);
    if (data.percent_complete !== null && data.percent_complete !== undefined) {
      var bar = element("div", "rd-progress");
      bar.title = data.percent_complete + "% complete";
      var done = element("span");
      done.style.width = data.percent_complete + "%";
      bar.appendChild(done);
      card.appendChild(bar);
    }
    if (data.assignees.length) {
      card.appendChild(element("div", "rd-assignees", data.assignees.join(", ")));
    }
    card.appendChild(moveSelect(card));
    return card;
  }

  function refreshSelect(card) {
    var old = card.querySelector(".rd-move");
    card.replaceChild(moveSelect(card), old);
  }

  function sentinelVisible(column) {
    var body = column.body.getBoundingClientRect();
    var more = column.more.getBoundingClientRect();
    return more.top <= body.bottom + 50;
  }

  function loadMore(column) {
    if (column.loading || column.done) { return; }
    column.loading = true;
    column.more.textContent = words.loading;
    var extra = column.cursor ? { cursor: column.cursor } : {};
    getJson(root.getAttribute("data-column-url") + column.id + "?" + params(extra))
      .then(function (body) {
        body.cards.forEach(function (data) {
          if (!root.querySelector('.rd-card[data-id="' + data.id + '"]')) {
            column.list.appendChild(cardElement(data));
          }
        });
        column.cursor = body.next_cursor;
        column.done = !body.next_cursor;
        column.loading = false;
        column.more.textContent = column.done ? "" : words.more;
        if (!column.done && sentinelVisible(column)) { loadMore(column); }
      })
      .catch(function (error) {
        column.loading = false;
        column.more.textContent = "";
        say(error.message);
      });
  }

  function updateCounts() {
    return getJson(root.getAttribute("data-data-url") + "?" + params())
      .then(function (body) {
        body.columns.forEach(function (status) {
          if (columns[status.id]) { columns[status.id].count.textContent = status.count; }
        });
      });
  }

  function putBack(card, from, index) {
    from.insertBefore(card, from.children[index] || null);
  }

  function move(card, from, to, index) {
    var statusId = to.getAttribute("data-status-id");
    say("");
    card.classList.add("rd-saving");
    fetch(root.getAttribute("data-api-url") + card.getAttribute("data-kind") + "/" +
          card.getAttribute("data-id"), {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrf },
      body: JSON.stringify({ status: Number(statusId) })
    })
      .then(answer)
      .then(function () {
        card.setAttribute("data-status-id", statusId);
        card.classList.remove("rd-stuck-card");
        card.querySelector(".rd-days").textContent = "0 d here";
        refreshSelect(card);
        return updateCounts();
      })
      .catch(function (error) {
        putBack(card, from, index);
        refreshSelect(card);
        say("Could not move #" + card.getAttribute("data-id") + ": " + error.message);
      })
      .then(function () { card.classList.remove("rd-saving"); });
  }

  root.querySelectorAll(".rd-column").forEach(function (section) {
    var id = section.getAttribute("data-status-id");
    var head = section.querySelector(".rd-column-head");
    head.style.borderTopColor = head.getAttribute("data-colour");
    statuses.push({ id: id, name: section.getAttribute("data-status-name") });
    var column = {
      id: id, list: section.querySelector(".rd-cards"), body: section.querySelector(".rd-column-body"),
      more: section.querySelector(".rd-more"), count: section.querySelector("[data-count]"),
      cursor: null, loading: false, done: false
    };
    columns[id] = column;
    column.body.addEventListener("scroll", function () {
      if (sentinelVisible(column)) { loadMore(column); }
    }, { passive: true });
    if (window.Sortable) {
      window.Sortable.create(column.list, {
        group: "rd-board", sort: false, animation: 150, forceFallback: true,
        delay: 200, delayOnTouchOnly: true, filter: ".rd-move", preventOnFilter: false,
        onEnd: function (event) {
          if (event.from !== event.to) { move(event.item, event.from, event.to, event.oldIndex); }
        }
      });
    }
  });
  Object.keys(columns).forEach(function (id) { loadMore(columns[id]); });

  // Arguments of the board itself survive the shared filter form.
  var keep = root.querySelectorAll("[data-keep]");
  var form = document.querySelector(".rd-filter-bar");
  if (form) {
    form.addEventListener("submit", function () {
      keep.forEach(function (input) {
        var hidden = element("input");
        hidden.type = "hidden";
        hidden.name = input.getAttribute("data-keep");
        hidden.value = input.value;
        form.appendChild(hidden);
      });
    });
  }
  keep.forEach(function (input) {
    input.addEventListener("change", function () {
      var extra = {};
      extra[input.getAttribute("data-keep")] = input.value;
      window.location.search = params(extra);
    });
  });
}());
