/* The inbox (templates/workspace/inbox.html): keyboard navigation (j/k, o/Enter, x, ?),
   preview pane, multi-select with bulk actions sent in chunks with progress, "load more",
   live queue counts and the Ctrl/Cmd+K command palette. */
(function () {
  "use strict";

  var root = document.getElementById("rd-inbox");
  if (!root) { return; }
  var config = JSON.parse(root.getAttribute("data-config"));
  var words = JSON.parse(document.getElementById("rd-inbox-words").textContent);
  var csrf = root.getAttribute("data-csrf");
  var list = document.getElementById("rd-rows");
  var preview = document.getElementById("rd-preview");
  var bulk = document.getElementById("rd-bulk");
  var more = document.getElementById("rd-more");
  var errorBox = document.getElementById("rd-inbox-error");
  var nextCursor = config.nextCursor;
  var current = -1;
  var CHUNK = 25;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }
  function rows() { return Array.prototype.slice.call(list.querySelectorAll(".rd-row")); }
  function selected() {
    return rows().filter(function (row) { return row.querySelector(".rd-select").checked; });
  }
  function typing(event) {
    var tag = (event.target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable;
  }
  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }
  function query(extra) {
    var params = new URLSearchParams(config.source);
    Object.keys(extra || {}).forEach(function (key) { params.set(key, extra[key]); });
    return params.toString();
  }

  // -- current row and preview
  var previewTimer = null;
  function wide() { return window.matchMedia("(min-width: 1100px)").matches; }
  function loadPreview(row) {
    if (!wide()) { return; }
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      fetch(row.getAttribute("data-preview"), { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.text();
        })
        .then(function (html) { preview.innerHTML = html; })
        .catch(function (err) { preview.textContent = fill(words.failed, { reason: err.message }); });
    }, 150);
  }
  function focusRow(index) {
    var all = rows();
    if (!all.length) { return; }
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row) { row.classList.remove("rd-current"); row.removeAttribute("aria-selected"); });
    current = index;
    all[index].classList.add("rd-current");
    all[index].setAttribute("aria-selected", "true");
    all[index].scrollIntoView({ block: "nearest" });
    loadPreview(all[index]);
  }
  list.addEventListener("click", function (event) {
    var row = event.target.closest(".rd-row");
    if (!row) { return; }
    if (event.target.classList.contains("rd-select")) { updateBulk(); return; }
    if (wide() && !event.ctrlKey && !event.metaKey && event.target.closest(".rd-row-main")) {
      event.preventDefault(); // on a wide screen the first click previews, "o" or a double click opens
      if (rows()[current] === row) { window.location.href = row.getAttribute("data-url"); return; }
    }
    focusRow(rows().indexOf(row));
  });

  // -- selection and bulk actions
  var selectAll = document.getElementById("rd-select-all");
  function updateBulk() {
    var count = selected().length;
    if (bulk) {
      bulk.hidden = count === 0;
      document.getElementById("rd-bulk-count").textContent = fill(words.selected, { n: count });
    }
    selectAll.checked = count > 0 && count === rows().length;
  }
  selectAll.addEventListener("change", function () {
    rows().forEach(function (row) { row.querySelector(".rd-select").checked = selectAll.checked; });
    updateBulk();
  });

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(window.RelaydeskApi.answer);
  }

  function runBulk(action, value) {
    var ids = selected().map(function (row) { return Number(row.getAttribute("data-id")); });
    if (!ids.length) { return Promise.resolve(); }
    var progress = document.getElementById("rd-bulk-progress");
    var result = document.getElementById("rd-bulk-result");
    var done = 0, failed = {};
    progress.hidden = false;
    progress.max = ids.length;
    progress.value = 0;
    result.textContent = words.working;
    var chunks = [];
    for (var i = 0; i < ids.length; i += CHUNK) { chunks.push(ids.slice(i, i + CHUNK)); }
    return chunks.reduce(function (chain, chunk) {
      return chain.then(function () {
        var body = { action: action, ids: chunk };
        if (value !== undefined) { body.value = value; }
        return post(config.bulkUrl, body).then(function (answer) {
          done += answer.done.length;
          Object.keys(answer.failed).forEach(function (id) { failed[id] = answer.failed[id]; });
          progress.value += chunk.length;
        });
      });
    }, Promise.resolve()).then(function () {
      var refused = Object.keys(failed);
      result.textContent = fill(words.done, { done: done, failed: refused.length }) +
        (refused.length ? " — " + refused.map(function (id) { return "#" + id + ": " + failed[id]; }).join("; ") : "");
      return reload();
    }).catch(function (err) { showError(err.message); });
  }
  if (bulk) {
    bulk.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (button) { runBulk(button.getAttribute("data-action")); }
    });
    bulk.addEventListener("change", function (event) {
      var select = event.target.closest("select[data-action]");
      if (!select || !select.value) { return; }
      var action = select.getAttribute("data-action");
      var value = action === "status" ? select.value : Number(select.value);
      select.value = "";
      runBulk(action, value);
    });
  }

  // -- loading rows
  function render(answer, append) {
    if (!append) { list.innerHTML = ""; current = -1; }
    list.insertAdjacentHTML("beforeend", answer.html);
    nextCursor = answer.next_cursor;
    more.hidden = !nextCursor;
    document.getElementById("rd-empty").hidden = rows().length > 0;
    updateBulk();
  }
  function reload() {
    return window.RelaydeskApi.getJson(config.rowsUrl + "?" + query())
      .then(function (answer) { render(answer, false); refreshCounts(); })
      .catch(function (err) { showError(err.message); });
  }
  more.addEventListener("click", function () {
    window.RelaydeskApi.getJson(config.rowsUrl + "?" + query({ cursor: nextCursor }))
      .then(function (answer) { render(answer, true); })
      .catch(function (err) { showError(err.message); });
  });
  document.getElementById("rd-sort").addEventListener("change", function () {
    this.form.submit();
  });

  // -- live counts (every 30 s while the page is visible)
  function refreshCounts() {
    return window.RelaydeskApi.getJson(config.countsUrl).then(function (counts) {
      document.querySelectorAll(".rd-inbox-queue").forEach(function (link) {
        var key = link.getAttribute("data-queue");
        if (key in counts) {
          link.querySelector(".rd-queue-count").textContent = counts[key] > config.countCap ? config.countCap + "+" : counts[key];
        }
      });
    }).catch(function () { /* the next tick tries again */ });
  }
  setInterval(function () { if (!document.hidden) { refreshCounts(); } }, 30000);

  // -- help and command palette
  var help = document.getElementById("rd-help");
  document.getElementById("rd-help-open").addEventListener("click", function () { help.showModal(); });
  var palette = document.getElementById("rd-palette");
  var paletteInput = document.getElementById("rd-palette-input");
  var paletteList = document.getElementById("rd-palette-list");
  var paletteIndex = 0;
  function paletteEntries(text) {
    var number = text.replace(/^#/, "").trim();
    var needle = text.toLowerCase().trim();
    var entries = [{ label: words.newTicket, url: config.newUrl }];
    config.choices.queues.forEach(function (q) { entries.push({ label: words.queue + ": " + q.name, url: q.url }); });
    config.choices.views.forEach(function (v) { entries.push({ label: words.view + ": " + v.name, url: v.url }); });
    if (selected().length && bulk) {
      Object.keys(words.actions).forEach(function (action) {
        entries.push({ label: words.action + ": " + words.actions[action], action: action });
      });
    }
    entries = entries.filter(function (entry) { return !needle || entry.label.toLowerCase().indexOf(needle) >= 0; });
    if (/^\d+$/.test(number)) {
      entries.unshift({ label: fill(words.goto, { n: number }), url: config.ticketUrl.replace("{id}", number) });
    }
    return entries;
  }
  function drawPalette() {
    var entries = paletteEntries(paletteInput.value);
    paletteIndex = Math.min(paletteIndex, Math.max(0, entries.length - 1));
    paletteList.innerHTML = "";
    entries.slice(0, 12).forEach(function (entry, index) {
      var li = document.createElement("li");
      li.textContent = entry.label;
      li.setAttribute("role", "option");
      if (index === paletteIndex) { li.classList.add("active"); li.setAttribute("aria-selected", "true"); }
      li.addEventListener("click", function () { choose(entry); });
      paletteList.appendChild(li);
    });
    return entries;
  }
  function choose(entry) {
    palette.close();
    if (entry.url) { window.location.href = entry.url; } else if (entry.action) { runBulk(entry.action); }
  }
  function openPalette() {
    paletteInput.value = "";
    paletteIndex = 0;
    drawPalette();
    palette.showModal();
    paletteInput.focus();
  }
  paletteInput.addEventListener("input", function () { paletteIndex = 0; drawPalette(); });
  paletteInput.addEventListener("keydown", function (event) {
    var entries = paletteEntries(paletteInput.value);
    if (event.key === "ArrowDown") { paletteIndex = Math.min(paletteIndex + 1, entries.length - 1); drawPalette(); event.preventDefault(); }
    if (event.key === "ArrowUp") { paletteIndex = Math.max(paletteIndex - 1, 0); drawPalette(); event.preventDefault(); }
    if (event.key === "Enter" && entries[paletteIndex]) { event.preventDefault(); choose(entries[paletteIndex]); }
  });

  // -- keys
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
      event.preventDefault();
      openPalette();
      return;
    }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey || palette.open || help.open) { return; }
    var all = rows();
    if (event.key === "j") { focusRow(current + 1); event.preventDefault(); }
    else if (event.key === "k") { focusRow(current - 1); event.preventDefault(); }
    else if ((event.key === "o" || event.key === "Enter") && all[current]) {
      window.location.href = all[current].getAttribute("data-url");
    } else if (event.key === "x" && all[current]) {
      var box = all[current].querySelector(".rd-select");
      box.checked = !box.checked;
      updateBulk();
    } else if (event.key === "?") { help.showModal(); }
  });
  updateBulk();
  refreshCounts();
})();
