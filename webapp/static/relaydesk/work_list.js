/* The flat list: rows from the list's data endpoint, a keyset page at a time ("Load more"),
   sortable headers, and groups with counts (each group opens into its own paged rows). */
(function () {
  "use strict";
  // The page's words in the user's language (relaydesk/work_views/base.html); {name} is filled in.
  var words = JSON.parse(document.getElementById("rd-work-words").textContent);
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return String(values[key]); });
  }
  var root = document.getElementById("rd-list");
  if (!root) { return; }
  var config = JSON.parse(root.getAttribute("data-config"));
  var baseQuery = root.getAttribute("data-query") || "";
  var message = document.querySelector(".rd-list-message");

  function params(extra) {
    var p = new URLSearchParams(baseQuery);
    p.delete("cursor");
    p.delete("columns");
    config.columns.forEach(function (c) { p.append("columns", c); });
    Object.keys(extra || {}).forEach(function (k) {
      p.delete(k);
      if (extra[k] !== null && extra[k] !== undefined) { p.set(k, extra[k]); }
    });
    return p;
  }

  function showError(body) {
    var errors = (body && body.errors) || {"": [words.list_failed]};
    message.textContent = Object.keys(errors).map(function (k) {
      return (k ? k + ": " : "") + [].concat(errors[k]).join("; ");
    }).join(" — ");
    message.hidden = false;
  }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) {
        return r.json().then(function (body) { if (!r.ok) { throw body; } return body; });
      });
  }

  function sortLink(column) {
    var current = config.sort, next = column;
    if (current === column) { next = "-" + column; }
    var p = new URLSearchParams(baseQuery);
    p.set("sort", next);
    var a = document.createElement("a");
    a.href = "?" + p.toString();
    a.textContent = config.labels[column] || column;
    if (current === column) { a.textContent += " ▲"; }
    if (current === "-" + column) { a.textContent += " ▼"; }
    return a;
  }

  function table() {
    var t = document.createElement("table");
    t.className = "table table-condensed table-striped rd-list-table";
    var tr = t.createTHead().insertRow();
    config.columns.forEach(function (c) {
      var th = document.createElement("th");
      th.setAttribute("data-column", c);
      if (config.sortable.indexOf(c) >= 0) { th.appendChild(sortLink(c)); }
      else { th.textContent = config.labels[c] || c; }
      tr.appendChild(th);
    });
    t.appendChild(document.createElement("tbody"));
    return t;
  }

  function text(value) {
    if (value === null || value === undefined) { return ""; }
    if (typeof value === "boolean") { return value ? words.yes : words.no; }
    return String(value);
  }

  function addRows(tbody, rows) {
    rows.forEach(function (row) {
      var tr = tbody.insertRow();
      tr.setAttribute("data-id", row.id);
      config.columns.forEach(function (c) {
        var td = tr.insertCell();
        td.setAttribute("data-label", config.labels[c] || c);
        if ((c === "title" || c === "id") && row.url) {
          var a = document.createElement("a");
          a.href = row.url;
          a.textContent = c === "id" ? "#" + row.id : text(row[c]);
          td.appendChild(a);
        } else {
          td.textContent = text(row[c]);
        }
      });
    });
  }

  /* A table in `box` filled page by page from the items endpoint with `extra` arguments. */
  function pagedRows(box, extra) {
    var t = table(), more = document.createElement("button");
    more.type = "button";
    more.className = "btn btn-default btn-sm rd-load-more";
    more.textContent = words.load_more;
    more.hidden = true;
    box.appendChild(t);
    box.appendChild(more);
    var cursor = null;
    function load() {
      var p = params(extra);
      if (cursor) { p.set("cursor", cursor); }
      more.disabled = true;
      return getJSON(config.itemsUrl + "?" + p.toString()).then(function (body) {
        addRows(t.tBodies[0], body.rows);
        if (!body.rows.length && !cursor) {
          var empty = document.createElement("p");
          empty.className = "rd-list-empty";
          empty.textContent = words.no_items;
          box.insertBefore(empty, more);
        }
        cursor = body.next_cursor;
        more.hidden = !cursor;
        more.disabled = false;
      }).catch(showError);
    }
    more.addEventListener("click", load);
    return load();
  }

  function groups() {
    getJSON(config.groupsUrl + "?" + params({group_by: config.groupBy}).toString())
      .then(function (body) {
        var head = document.createElement("p");
        head.className = "rd-group-total";
        head.textContent = fill(words.grouped, { label: body.label, total: body.total,
                                                 groups: body.groups.length });
        root.appendChild(head);
        body.groups.forEach(function (g) {
          var section = document.createElement("section");
          section.className = "rd-group";
          section.setAttribute("data-value", g.value === null ? "" : g.value);
          var h = document.createElement("h4"), toggle = document.createElement("button");
          toggle.type = "button";
          toggle.className = "rd-group-toggle";
          toggle.setAttribute("aria-expanded", "false");
          toggle.innerHTML = "";
          toggle.appendChild(document.createTextNode(g.label + " "));
          var badge = document.createElement("span");
          badge.className = "badge rd-group-count";
          badge.textContent = g.count;
          toggle.appendChild(badge);
          h.appendChild(toggle);
          section.appendChild(h);
          var box = document.createElement("div");
          section.appendChild(box);
          if (g.value === null) { toggle.disabled = true; }
          toggle.addEventListener("click", function () {
            var open = toggle.getAttribute("aria-expanded") === "true";
            toggle.setAttribute("aria-expanded", open ? "false" : "true");
            if (open) { box.hidden = true; return; }
            box.hidden = false;
            if (!box.childNodes.length) {
              var extra = {group_by: null};
              extra[config.groupBy] = g.value;
              pagedRows(box, extra);
            }
          });
          root.appendChild(section);
        });
      }).catch(showError);
  }

  if (config.groupBy) { groups(); } else { pagedRows(root, {}); }
})();
