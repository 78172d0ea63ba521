/* The dashboard: asks the data endpoint for every figure (the page's own range and filters),
   draws one Chart.js chart per card with a one-line summary above it, and exports a chart as
   a PNG (white background, named after the chart and the range) from its card's button. */
(function () {
  "use strict";
  var root = document.getElementById("rd-dashboard");
  if (!root || !window.Chart) { return; }
  // The page's words in the user's language (relaydesk/work_views/base.html); {name} is filled in.
  var words = JSON.parse(document.getElementById("rd-work-words").textContent);
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return String(values[key]); });
  }
  var message = root.querySelector(".rd-dash-message");
  var charts = {};
  var range = { from: "", to: "" };
  var COLOURS = {
    opened: "#337ab7", solved: "#5cb85c", first: "#f0ad4e", resolution: "#5bc0de",
    bar: "#6f8fb5", person: "#8e6fb5", scores: ["#d9534f", "#ee8e4a", "#f0ad4e", "#9ccc65", "#5cb85c"]
  };

  // Without it the exported PNG is transparent, unreadable on a dark background.
  var whiteBackground = {
    id: "rdWhiteBackground",
    beforeDraw: function (chart) {
      var ctx = chart.ctx;
      ctx.save();
      ctx.globalCompositeOperation = "destination-over";
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, chart.width, chart.height);
      ctx.restore();
    }
  };

  function card(name) { return root.querySelector('.rd-chart-card[data-chart="' + name + '"]'); }

  function hours(value) { return value === null ? "—" : value.toFixed(1) + " h"; }

  function percent(value) { return value === null ? "—" : value + "%"; }

  function counted(n, one, many) { return fill(n === 1 ? one : many, { n: n }); }

  function line(label, data, colour) {
    return { label: label, data: data, borderColor: colour, backgroundColor: colour,
             cubicInterpolationMode: "monotone", spanGaps: true, pointRadius: data.length > 60 ? 0 : 3 };
  }

  function bar(label, data, colour) {
    return { label: label, data: data, backgroundColor: colour, maxBarThickness: 48 };
  }

  /** Draw chart ``name``: its Chart.js ``config``, the summary line, and whether it has data. */
  function draw(name, config, summary, empty) {
    var section = card(name);
    section.querySelector(".rd-chart-summary").textContent = empty ? words.nothing_in_range : summary;
    section.classList.toggle("rd-empty", empty);
    config.options = Object.assign({
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { display: config.data.datasets.length > 1 } }
    }, config.options || {});
    config.plugins = [whiteBackground];
    if (charts[name]) { charts[name].destroy(); }
    charts[name] = new window.Chart(section.querySelector("canvas"), config);
    section.querySelector(".rd-export").disabled = false;
  }

  function horizontal(scale) {
    return { indexAxis: "y", scales: { x: Object.assign({ beginAtZero: true }, scale || {}) } };
  }

  function overTime(data) {
    draw("opened", {
      type: "line",
      data: { labels: data.buckets, datasets: [line(words.opened, data.opened, COLOURS.opened),
                                               line(words.solved, data.solved, COLOURS.solved)] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    }, fill(words.opened_summary, { opened: data.totals.opened, solved: data.totals.solved,
                                    backlog: data.totals.backlog }),
       !data.totals.opened && !data.totals.solved);
  }

  function backlog(data) {
    var rows = data.backlog;
    draw("backlog", {
      type: "bar",
      data: { labels: rows.map(function (row) { return row.status + " (" + row.type + ")"; }),
              datasets: [bar(words.open_items, rows.map(function (row) { return row.count; }),
                             rows.map(function (row) { return row.colour || COLOURS.bar; }))] },
      options: horizontal({ ticks: { precision: 0 } })
    }, fill(words.backlog_summary, {
      items: counted(data.totals.backlog, words.open_item_one, words.open_item_many),
      statuses: counted(rows.length, words.status_one, words.status_many) }), !rows.length);
  }

  /** A line per target (first response, resolution) of ``figures``, summed up by ``words``. */
  function perTarget(name, data, figures, unit, y, describe, empty) {
    var first = figures.first_response, resolution = figures.resolution;
    draw(name, {
      type: "line",
      data: { labels: data.buckets, datasets: [
        line(fill(words.first_response_unit, { unit: unit }), first.by_bucket, COLOURS.first),
        line(fill(words.resolution_unit, { unit: unit }), resolution.by_bucket, COLOURS.resolution)] },
      options: { scales: { y: y } }
    }, describe(words.first_response, first, words.replied) + ". " +
       describe(words.resolution, resolution, words.solved_count) + ".",
       empty(first) && empty(resolution));
  }

  function sla(data) {
    perTarget("sla", data, data.sla, words.percent_met,
      { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } },
      function (name, target) {
        return fill(words.sla_line, { name: name, percent: percent(target.percent), met: target.met,
                                      breached: target.breached, pending: target.pending });
      },
      function (target) { return !(target.met + target.breached + target.pending); });
  }

  function times(data) {
    perTarget("times", data, data.times, words.median_hours,
      { beginAtZero: true, title: { display: true, text: words.hours_axis } },
      function (name, figures, what) {
        return fill(words.times_line, { name: name, median: hours(figures.median_hours),
                                        average: hours(figures.average_hours),
                                        count: figures.count, what: what });
      },
      function (figures) { return !figures.count; });
  }

  function satisfaction(data) {
    var figures = data.satisfaction;
    var scores = Object.keys(figures.per_score).sort();
    draw("satisfaction", {
      type: "bar",
      data: { labels: scores.map(function (score) { return score + "★"; }),
              datasets: [bar(words.ratings, scores.map(function (score) { return figures.per_score[score]; }),
                             COLOURS.scores)] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    }, fill(words.satisfaction_line, {
      average: figures.average === null ? "—" : figures.average.toFixed(2),
      ratings: counted(figures.count, words.rating_one, words.rating_many),
      percent: percent(figures.satisfied_percent) }), !figures.count);
  }

  function totalHours(rows) {
    return rows.reduce(function (sum, row) { return sum + row.hours; }, 0);
  }

  function hoursBy(name, rows, colour) {
    draw(name, {
      type: "bar",
      data: { labels: rows.map(function (row) { return row.name; }),
              datasets: [bar(words.hours, rows.map(function (row) { return row.hours; }), colour)] },
      options: horizontal()
    }, name === "hours_project"
      ? fill(words.hours_on, { hours: hours(totalHours(rows)),
                               projects: counted(rows.length, words.project_one, words.project_many) })
      : fill(words.hours_by, { hours: hours(totalHours(rows)),
                               people: counted(rows.length, words.person_one, words.person_many) }),
    !rows.length);
  }

  function show(data) {
    range = { from: data.from, to: data.to };
    overTime(data);
    backlog(data);
    sla(data);
    times(data);
    satisfaction(data);
    hoursBy("hours_project", data.hours.by_project, COLOURS.bar);
    hoursBy("hours_person", data.hours.by_person, COLOURS.person);
  }

  function exportPng(name) {
    var link = document.createElement("a");
    link.href = charts[name].toBase64Image("image/png", 1);
    link.download = "relaydesk-" + name.replace("_", "-") + "-" + range.from + "-to-" + range.to + ".png";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest(".rd-export");
    if (button && charts[button.getAttribute("data-chart")]) {
      exportPng(button.getAttribute("data-chart"));
    }
  });

  var query = root.getAttribute("data-query");
  window.RelaydeskApi.getJson(root.getAttribute("data-data-url") + (query ? "?" + query : ""))
    .then(function (data) {
      show(data);
      root.setAttribute("data-state", "ready");
    })
    .catch(function (error) {
      message.textContent = error.message;
      message.hidden = false;
      root.setAttribute("data-state", "error");
    });

  window.RelaydeskDashboard = { charts: charts };
})();
