/* Tree view: a folder's items load when its node is opened (a keyset page at a time, "More
   items…" for the next), and admins save the default grouping. */
(function () {
  "use strict";
  // The page's words in the user's language (relaydesk/work_views/base.html); {name} is filled in.
  var words = JSON.parse(document.getElementById("rd-work-words").textContent);
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return String(values[key]); });
  }
  var root = document.getElementById("rd-tree");
  if (!root) return;
  var notice = root.querySelector(".rd-tree-notice");

  function say(text, bad) {
    notice.textContent = text;
    notice.className = "rd-tree-notice " + (bad ? "text-danger" : "text-success");
  }
  function messageOf(body) {
    var m = body && body.errors;
    if (!m) return words.request_failed;
    return Object.keys(m).map(function (k) { return k + ": " + [].concat(m[k]).join("; "); }).join(" · ");
  }
  function withCursor(url, cursor) {
    return cursor ? url + (url.indexOf("?") < 0 ? "?" : "&") + "cursor=" + encodeURIComponent(cursor) : url;
  }

  function loadItems(node, cursor) {
    var list = node.querySelector(":scope > .rd-tree-items");
    var more = node.querySelector(":scope > .rd-tree-more");
    node.dataset.loading = "1";
    return fetch(withCursor(node.dataset.itemsUrl, cursor), {credentials: "same-origin",
      headers: {"Accept": "application/json"}})
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(messageOf(body));
          body.items.forEach(function (item) {
            var li = document.createElement("li");
            li.className = "rd-tree-item" + (item.done ? " rd-done" : "");
            li.dataset.id = item.id;
            var a = document.createElement("a");
            a.href = item.url; a.textContent = "#" + item.id + " " + item.title;
            var meta = document.createElement("span");
            meta.className = "rd-tree-meta";
            meta.textContent = item.status + (item.percent_complete != null ? " · " + item.percent_complete + "%" : "");
            li.appendChild(a); li.appendChild(meta); list.appendChild(li);
          });
          if (!body.items.length && !cursor) {
            var none = document.createElement("li");
            none.className = "rd-tree-empty"; none.textContent = words.no_items_here;
            list.appendChild(none);
          }
          more.hidden = !body.next_cursor;
          more.dataset.cursor = body.next_cursor || "";
          node.dataset.loaded = "1";
        });
      })
      .catch(function (err) { say(err.message, true); })
      .then(function () { delete node.dataset.loading; });
  }

  root.querySelectorAll("details[data-items-url]").forEach(function (node) {
    node.addEventListener("toggle", function () {
      if (node.open && !node.dataset.loaded && !node.dataset.loading) loadItems(node, null);
    });
    node.querySelector(":scope > .rd-tree-more").addEventListener("click", function (ev) {
      loadItems(node, ev.currentTarget.dataset.cursor);
    });
  });

  var save = root.querySelector(".rd-tree-save-default");
  if (save) {
    save.addEventListener("click", function () {
      var choice = root.querySelector("select[name=default_grouping]").value;
      fetch(root.dataset.groupingUrl, {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf},
        body: JSON.stringify({grouping: choice})})
        .then(function (r) {
          return r.json().then(function (body) {
            if (!r.ok) throw new Error(messageOf(body));
            say(fill(words.default_grouping, { grouping: words["grouping_" + body.grouping] || body.grouping }), false);
          });
        })
        .catch(function (err) { say(err.message, true); });
    });
  }
})();
