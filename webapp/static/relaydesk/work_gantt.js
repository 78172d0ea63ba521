/* Gantt view: draws one project's tasks as an SVG (planned bar, actual bar below it,
   dependency arrows, critical path), lets the user drag a planned bar (move) or its ends
   (resize) by whole days and saves through PUT /api/v1/task/<id>; a refused change puts the
   bar back and shows the API's message. Pointer events, so it works with a finger too. */
(function () {
  "use strict";
  // The page's words in the user's language (relaydesk/work_views/base.html); {name} is filled in.
  var words = JSON.parse(document.getElementById("rd-work-words").textContent);
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return String(values[key]); });
  }
  var root = document.getElementById("rd-gantt");
  if (!root || !root.dataset.url) return;
  var SVG = "http://www.w3.org/2000/svg";
  var DAY = 28, ROW = 36, HEAD = 40, DAY_MS = 86400000;
  var csrf = root.dataset.csrf;
  var scroller = root.querySelector(".rd-gantt-scroll");
  var labels = root.querySelector(".rd-gantt-labels");
  var notice = root.querySelector(".rd-gantt-notice");
  var state = null;

  function toDay(text) { var p = text.split("-"); return Date.UTC(+p[0], p[1] - 1, +p[2]) / DAY_MS; }
  function toText(day) { return new Date(day * DAY_MS).toISOString().slice(0, 10); }
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function say(text, kind) {
    notice.textContent = text || "";
    notice.className = "rd-gantt-notice" + (text ? " alert alert-" + (kind || "danger") : "");
  }
  function messageOf(body) {
    var m = body && (body.message || body.errors);
    if (!m) return words.change_refused;
    if (typeof m === "string") return m;
    return Object.keys(m).map(function (k) { return k + ": " + [].concat(m[k]).join("; "); }).join(" · ");
  }

  function range(tasks, today) {
    var days = [today];
    tasks.forEach(function (t) {
      ["planned_start", "planned_finish", "actual_start", "actual_end"].forEach(function (k) {
        if (t[k]) days.push(toDay(t[k]));
      });
    });
    return [Math.min.apply(null, days) - 3, Math.max.apply(null, days) + 7];
  }

  function drawHeader(svg, first, last, height) {
    for (var d = first; d <= last; d++) {
      var x = (d - first) * DAY, date = new Date(d * DAY_MS), wd = date.getUTCDay();
      if (wd === 0 || wd === 6) el("rect", {x: x, y: HEAD, width: DAY, height: height - HEAD, "class": "rd-g-weekend"}, svg);
      var t = el("text", {x: x + DAY / 2, y: HEAD - 6, "class": "rd-g-day", "text-anchor": "middle"}, svg);
      t.textContent = date.getUTCDate();
      if (date.getUTCDate() === 1 || d === first) {
        var m = el("text", {x: x + 2, y: 14, "class": "rd-g-month"}, svg);
        m.textContent = date.toLocaleString(undefined, {month: "short", year: "numeric", timeZone: "UTC"});
        el("line", {x1: x, x2: x, y1: 0, y2: height, "class": "rd-g-monthline"}, svg);
      }
    }
  }

  /* Where the chart opens: at today when today is among the bars, else at the project's
     first bar (a plan months away from today must not open on an empty stretch). */
  function openingScroll(data, today, first) {
    var focus = today;
    if (data.first_bar) {
      var a = toDay(data.first_bar), b = toDay(data.last_bar || data.first_bar);
      if (today < a || today > b) focus = a;
    }
    return Math.max(0, (focus - first - 3) * DAY);
  }

  function draw() {
    var data = state, tasks = data.tasks, colours = data.colours;
    var today = toDay(data.today), span = range(tasks, today), first = span[0];
    var width = (span[1] - first + 1) * DAY, height = HEAD + tasks.length * ROW + 4;
    var keepScroll = scroller.scrollLeft;
    scroller.innerHTML = ""; labels.innerHTML = "";
    var svg = el("svg", {width: width, height: height, "class": "rd-gantt-svg"}, scroller);
    var defs = el("defs", {}, svg);
    ["normal", "critical"].forEach(function (kind) {
      var marker = el("marker", {id: "rd-g-arrow-" + kind, viewBox: "0 0 8 8", refX: 7, refY: 4,
        markerWidth: 7, markerHeight: 7, orient: "auto"}, defs);
      el("path", {d: "M0,0 L8,4 L0,8 z", fill: kind === "critical" ? colours.critical : "#666"}, marker);
    });
    drawHeader(svg, first, span[1], height);
    el("line", {x1: (today - first + 0.5) * DAY, x2: (today - first + 0.5) * DAY, y1: HEAD,
      y2: height, "class": "rd-g-today"}, svg);
    var rowOf = {};
    var head = document.createElement("div");
    head.className = "rd-gantt-label rd-gantt-head"; head.textContent = data.project.name;
    labels.appendChild(head);
    tasks.forEach(function (t, i) {
      rowOf[t.id] = i;
      var label = document.createElement("a");
      label.className = "rd-gantt-label" + (t.critical ? " rd-critical" : "");
      label.href = t.url; label.title = t.title + " — " + t.status;
      label.textContent = "#" + t.id + " " + t.title;
      labels.appendChild(label);
    });
    var arrows = el("g", {"class": "rd-g-arrows"}, svg);
    tasks.forEach(function (t, i) { drawTask(svg, t, i, first, colours); });
    data.dependencies.forEach(function (dep) {
      var a = tasks[rowOf[dep.from]], b = tasks[rowOf[dep.to]];
      if (!a.planned_finish || !b.planned_start) return;
      var x1 = (toDay(a.planned_finish) - first + 1) * DAY, y1 = HEAD + rowOf[dep.from] * ROW + 13;
      var x2 = (toDay(b.planned_start) - first) * DAY, y2 = HEAD + rowOf[dep.to] * ROW + 13;
      var kind = dep.critical ? "critical" : "normal";
      el("path", {d: "M" + x1 + "," + y1 + " h8 V" + y2 + " H" + (x2 - 1), fill: "none",
        stroke: dep.critical ? colours.critical : "#666", "stroke-width": dep.critical ? 2 : 1,
        "marker-end": "url(#rd-g-arrow-" + kind + ")", "class": "rd-g-dep",
        "data-from": dep.from, "data-to": dep.to}, arrows);
    });
    scroller.scrollLeft = keepScroll || openingScroll(data, today, first);
    root.querySelector(".rd-gantt-critical").textContent = data.error
      ? data.error : data.critical_days ? fill(words.critical_days, { n: data.critical_days }) : "";
    if (data.error) say(data.error, "warning");
  }

  function drawTask(svg, t, i, first, colours) {
    var y = HEAD + i * ROW;
    var g = el("g", {"class": "rd-g-task", "data-id": t.id}, svg);
    if (t.planned_start && t.planned_finish) {
      var x = (toDay(t.planned_start) - first) * DAY;
      var w = (toDay(t.planned_finish) - toDay(t.planned_start) + 1) * DAY;
      var bar = el("g", {"class": "rd-g-planned" + (t.critical ? " rd-critical" : ""),
        "data-id": t.id, transform: "translate(" + x + "," + (y + 4) + ")"}, g);
      el("rect", {x: 0, y: 0, width: w, height: 18, rx: 3,
        fill: t.critical ? colours.critical : colours.planned, "class": "rd-g-body"}, bar);
      if (t.percent_complete) {
        el("rect", {x: 0, y: 14, width: w * t.percent_complete / 100, height: 4, fill: "rgba(0,0,0,.35)"}, bar);
      }
      el("rect", {x: 0, y: 0, width: 8, height: 18, "class": "rd-g-handle", "data-edge": "start"}, bar);
      el("rect", {x: w - 8, y: 0, width: 8, height: 18, "class": "rd-g-handle", "data-edge": "finish"}, bar);
      var title = el("title", {}, bar);
      title.textContent = t.title + ": " + fill(words.planned_range, { start: t.planned_start, finish: t.planned_finish });
      bar.addEventListener("pointerdown", function (ev) { startDrag(ev, t, bar, w); });
    }
    if (t.actual_start && t.actual_end) {
      var ax = (toDay(t.actual_start) - first) * DAY;
      var aw = (toDay(t.actual_end) - toDay(t.actual_start) + 1) * DAY;
      var actual = el("rect", {x: ax, y: y + 25, width: aw, height: 7, rx: 2, fill: colours.actual,
        "class": "rd-g-actual" + (t.in_progress ? " rd-in-progress" : "")}, g);
      var at = el("title", {}, actual);
      at.textContent = fill(words.actual_range, { start: t.actual_start, finish: t.actual_finish || words.under_way });
    }
  }

  function startDrag(ev, t, bar, width) {
    if (root.dataset.canWrite !== "1" || ev.button > 0) return;
    ev.preventDefault();
    var edge = ev.target.getAttribute("data-edge") || "move";
    var x0 = ev.clientX, base = bar.transform.baseVal.getItem(0).matrix, bx = base.e, by = base.f;
    var body = bar.querySelector(".rd-g-body"), days = 0;
    bar.setPointerCapture(ev.pointerId);
    bar.classList.add("rd-dragging");
    function onMove(e) {
      days = Math.round((e.clientX - x0) / DAY);
      var span = width / DAY;
      if (edge === "start") days = Math.min(days, span - 1);
      if (edge === "finish") days = Math.max(days, 1 - span);
      var nx = bx + (edge === "finish" ? 0 : days * DAY);
      var nw = width + (edge === "start" ? -days * DAY : edge === "finish" ? days * DAY : 0);
      bar.setAttribute("transform", "translate(" + nx + "," + by + ")");
      body.setAttribute("width", nw);
    }
    function onUp() {
      bar.removeEventListener("pointermove", onMove);
      bar.removeEventListener("pointerup", onUp);
      bar.removeEventListener("pointercancel", onUp);
      bar.classList.remove("rd-dragging");
      if (!days) { draw(); return; }
      var start = toDay(t.planned_start), finish = toDay(t.planned_finish);
      if (edge !== "finish") start += days;
      if (edge !== "start") finish += days;
      save(t, toText(start), toText(finish));
    }
    bar.addEventListener("pointermove", onMove);
    bar.addEventListener("pointerup", onUp);
    bar.addEventListener("pointercancel", onUp);
  }

  function save(t, start, finish) {
    root.classList.add("rd-busy");
    fetch(root.dataset.api + t.id, {
      method: "PUT", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"},
      body: JSON.stringify({planned_start: start, planned_finish: finish})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error(messageOf(body));
        say("#" + t.id + " " + fill(words.planned_range, { start: start, finish: finish }), "success");
        return load();
      });
    }).catch(function (err) {
      say("#" + t.id + " " + fill(words.not_moved, { reason: err.message }));
      draw();  // the bar goes back where it was
    }).then(function () { root.classList.remove("rd-busy"); });
  }

  function load() {
    return fetch(root.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(messageOf(body));
          state = body; draw();
          root.classList.add("rd-ready");
        });
      }).catch(function (err) { say(err.message); });
  }

  var form = root.querySelector(".rd-gantt-colours");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = {};
      form.querySelectorAll("input[type=color]").forEach(function (i) { body[i.name] = i.value; });
      fetch(form.getAttribute("action"), {
        method: "POST", credentials: "same-origin", body: JSON.stringify(body),
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}
      }).then(function (r) {
        return r.json().then(function (answer) {
          if (!r.ok) throw new Error(messageOf(answer));
          if (state) { state.colours = answer.colours; draw(); }
          say(words.colours_saved, "success");
        });
      }).catch(function (err) { say(err.message); });
    });
  }
  load();
})();
