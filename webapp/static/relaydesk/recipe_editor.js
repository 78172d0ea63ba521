/* The recipe editor: builds trigger, condition and action forms from the catalogue the page
   embeds (each action's fields: name, label, type, required, choices, help), saves the
   recipe as JSON and shows the inputs rendered with the last matching event.
   Plain JavaScript, no library. */
(function () {
  "use strict";
  var root = document.getElementById("rd-editor");
  if (!root) { return; }
  var data = JSON.parse(document.getElementById("rd-editor-data").textContent);
  var catalogue = data.catalogue;
  var recipe = data.recipe;
  // The page's words in the user's language (the template passes them; {name} is filled in).
  var words = data.words;
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return String(values[key]); });
  }
  var actionsByName = {};
  catalogue.actions.forEach(function (a) { actionsByName[a.name] = a; });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "className") { node.className = attrs[key]; }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }
  function byId(id) { return document.getElementById(id); }

  /* A value typed by a person: JSON when it parses (3, true, "x", [1,2]), text otherwise. */
  function typed(text) {
    if (text === "") { return null; }
    try { return JSON.parse(text); } catch (e) { return text; }
  }
  function shown(value) {
    if (value === null || value === undefined) { return ""; }
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  // ------------------------------------------------------------------ searching while typing
  /* Rows that grow with the data (connections, endpoints, inbound events, projects, users …)
     are not embedded in the page: a text input with a lookup asks the server for at most 20
     matches of what was typed and offers them in its datalist. Templates ({{ … }}) are left
     alone. */
  function lookupUrl(kind, text, extra) {
    var url = root.getAttribute("data-lookup-url").replace("__kind__", encodeURIComponent(kind));
    var query = "q=" + encodeURIComponent(text);
    Object.keys(extra || {}).forEach(function (key) {
      query += "&" + encodeURIComponent(key) + "=" + encodeURIComponent(extra[key]);
    });
    return url + "?" + query;
  }

  function searchable(input, list, kind, extra, fixed) {
    var timer = null;
    var asked = null;
    function fill(options) {
      list.innerHTML = "";
      (fixed || []).filter(function (name) {
        return name.indexOf(input.value.trim()) !== -1;
      }).forEach(function (name) { list.appendChild(el("option", {value: name})); });
      options.forEach(function (o) {
        list.appendChild(el("option", {value: o.value, label: o.label, text: o.label}));
      });
    }
    function ask() {
      var text = input.value.trim();
      if (text.indexOf("{{") !== -1 || text.length > 100 || text === asked) { return; }
      asked = text;
      fetch(lookupUrl(kind, text, extra), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {results: []}; })
        .then(function (j) { if (asked === text) { fill(j.results || []); } })
        .catch(function () { fill([]); });
    }
    input.setAttribute("autocomplete", "off");
    input.setAttribute("data-lookup", kind);
    input.addEventListener("focus", ask);
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 250);
    });
    fill([]);
  }

  // ------------------------------------------------------------------ trigger
  /* A picker of the event types that exist (grouped by family, each family's ".*" and "*"
     too); inbound.<slug> endpoints grow with the data, so they are searched while typing
     in the field beside it and, once chosen, join the picker. Picking an event shows the
     fields it carries and offers them to the conditions. */
  var trigger = byId("rd-trigger");
  function option(value, text) { return el("option", {value: value, text: text || value}); }
  trigger.appendChild(option("", words.choose_event));
  trigger.appendChild(option("*", words.every_event));
  catalogue.families.forEach(function (f) {
    var group = el("optgroup", {label: f.family});
    group.appendChild(option(f.family + ".*", fill(words.any_family, {family: f.family})));
    f.events.forEach(function (name) { group.appendChild(option(name)); });
    trigger.appendChild(group);
  });
  var inboundGroup = el("optgroup", {label: words.inbound_webhooks, id: "rd-inbound-group"});
  inboundGroup.appendChild(option("inbound.*", words.any_inbound));
  trigger.appendChild(inboundGroup);

  function chooseTrigger(value) {
    if (value && !Array.prototype.some.call(trigger.options, function (o) { return o.value === value; })) {
      var target = value.indexOf("inbound.") === 0 ? inboundGroup : trigger;
      target.appendChild(option(value));
    }
    trigger.value = value || "";
    showFields();
  }

  var inbound = byId("rd-inbound");
  searchable(inbound, byId("rd-events"), "events", {});
  inbound.addEventListener("change", function () {
    var value = inbound.value.trim();
    if (value.indexOf("inbound.") === 0) { chooseTrigger(value); }
  });

  function showFields() {
    var box = byId("rd-event-fields-list");
    var suggestions = byId("rd-context-fields");
    var name = trigger.value;
    byId("rd-event-fields-name").textContent = name ? "(" + name + ")" : "";
    if (!name) { box.textContent = words.choose_an_event; return; }
    var url = root.getAttribute("data-fields-url") + "?event=" + encodeURIComponent(name);
    fetch(url, {credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, json: j}; }); })
      .then(function (r) {
        if (trigger.value !== name) { return; }
        box.innerHTML = "";
        suggestions.innerHTML = "";
        if (!r.ok) {
          box.appendChild(el("p", {className: "rd-errors",
                                   text: ((r.json.message || {}).event || [words.unknown_event]).join(" ")}));
          return;
        }
        Object.keys(r.json.fields).forEach(function (group) {
          var paths = r.json.fields[group];
          var list = el("ul", {"data-group": group});
          paths.forEach(function (path) {
            list.appendChild(el("li", {}, [el("code", {text: path})]));
            suggestions.appendChild(el("option", {value: path}));
          });
          if (paths.length > 20) {
            // A row's columns and their changes are long lists: folded (the condition
            // fields still suggest them).
            box.appendChild(el("details", {}, [
              el("summary", {text: group + " (" + paths.length + ")"}), list]));
          } else {
            box.appendChild(el("strong", {text: group}));
            box.appendChild(list);
          }
        });
      });
  }
  trigger.addEventListener("change", showFields);

  // ------------------------------------------------------------------ conditions
  /* A control with its visible label above it (every input of the page has one). */
  function labelled(text, control) {
    control.id = control.id || "rd-c" + (++controlCount);
    return el("div", {className: "rd-field"}, [el("label", {"for": control.id, text: text}),
                                                control]);
  }
  var controlCount = 0;

  function addRule(rule) {
    rule = rule || {};
    var op = el("select", {className: "form-control rd-rule-op"});
    catalogue.operators.forEach(function (name) {
      op.appendChild(el("option", {value: name, text: name}));
    });
    op.value = rule.op || "eq";
    var row = el("div", {className: "rd-row rd-rule"}, [
      labelled(words.field, el("input", {className: "form-control rd-rule-field",
                                     placeholder: "item.priority", list: "rd-context-fields",
                                     value: rule.field || ""})),
      labelled(words.operator, op),
      labelled(words.value, el("input", {className: "form-control rd-rule-value",
                                     placeholder: "3, true, \"text\"",
                                     value: shown(rule.value)})),
    ]);
    var remove = el("button", {type: "button", className: "btn btn-link", text: words.remove});
    remove.addEventListener("click", function () { row.remove(); });
    row.appendChild(remove);
    byId("rd-rules").appendChild(row);
  }
  byId("rd-add-rule").addEventListener("click", function () { addRule(); });

  // ------------------------------------------------------------------ actions
  function actionSelect(current) {
    var select = el("select", {className: "form-control rd-action-type"});
    select.appendChild(el("option", {value: "", text: words.choose_action}));
    ["internal", "connector", "webhook"].forEach(function (kind) {
      var group = el("optgroup", {label: words["kind_" + kind]});
      catalogue.actions.filter(function (a) { return a.kind === kind; })
        .forEach(function (a) { group.appendChild(el("option", {value: a.name, text: a.label})); });
      select.appendChild(group);
    });
    select.value = current || "";
    return select;
  }

  function lookupArgs(action, field) {
    if (field.lookup === "connections" && action.kind === "connector") {
      return {connector: action.name.split(".")[0]};
    }
    return {};
  }

  function fieldInput(action, field, value, index) {
    var id = "rd-a" + index + "-" + field.name;
    var input;
    if (field.choices) {
      input = el("select", {className: "form-control"});
      if (!field.required) { input.appendChild(el("option", {value: "", text: ""})); }
      field.choices.forEach(function (c) { input.appendChild(el("option", {value: c, text: c})); });
      input.value = value === undefined || value === null ? "" : String(value);
    } else if (field.type === "Boolean") {
      input = el("input", {type: "checkbox"});
      input.checked = value === true || value === "true";
    } else if (field.type === "Dict" || field.type === "Raw" || field.type === "List" ||
               /body|description|text/i.test(field.name)) {
      input = el("textarea", {className: "form-control", rows: "3"});
      input.value = shown(value);
    } else {
      input = el("input", {className: "form-control", type: "text"});
      input.value = shown(value);
      if (field.lookup) {
        var list = el("datalist", {id: id + "-list"});
        input.setAttribute("list", id + "-list");
        searchable(input, list, field.lookup, lookupArgs(action, field));
        input.appendChild(list);
      }
    }
    input.id = id;
    input.setAttribute("data-field", field.name);
    input.setAttribute("data-type", field.type);
    return input;
  }

  function renderFields(box, name, params, index) {
    box.innerHTML = "";
    var action = actionsByName[name];
    if (!action) { return; }
    action.fields.forEach(function (field) {
      var input = fieldInput(action, field, params[field.name], index);
      var label = el("label", {"for": input.id, text: field.label,
                               className: field.required ? "rd-required" : ""});
      var wrap = el("div", {className: "rd-field"}, [label, input]);
      if (input.tagName === "INPUT" && input.lastChild && input.lastChild.tagName === "DATALIST") {
        wrap.appendChild(input.lastChild);
      }
      if (field.help) { wrap.appendChild(el("div", {className: "rd-help", text: field.help})); }
      box.appendChild(wrap);
    });
  }

  var actionCount = 0;
  function addAction(spec) {
    spec = spec || {action_type: "", params: {}};
    var index = actionCount++;
    var select = actionSelect(spec.action_type);
    var fields = el("div", {className: "rd-fields"});
    var remove = el("button", {type: "button", className: "btn btn-link", text: words.remove});
    var card = el("div", {className: "panel panel-default rd-action"}, [
      el("div", {className: "panel-body"}, [
        el("div", {className: "rd-row"}, [labelled(fill(words.action_n, {n: index + 1}), select), remove]),
        fields])]);
    select.addEventListener("change", function () { renderFields(fields, select.value, {}, index); });
    remove.addEventListener("click", function () { card.remove(); });
    renderFields(fields, spec.action_type, spec.params || {}, index);
    byId("rd-actions").appendChild(card);
  }
  byId("rd-add-action").addEventListener("click", function () { addAction(); });

  // ------------------------------------------------------------------ the recipe as JSON
  function collect() {
    var body = {
      name: byId("rd-name").value, enabled: byId("rd-enabled").checked,
      position: parseInt(byId("rd-position").value || "0", 10),
      trigger_event: trigger.value,
      trigger_filter: null, conditions: null, actions: []
    };
    if (recipe && recipe.id) { body.id = recipe.id; }
    var field = byId("rd-filter-field").value.trim();
    if (field) {
      body.trigger_filter = {field: field};
      if (byId("rd-filter-from").value !== "") { body.trigger_filter.from = typed(byId("rd-filter-from").value); }
      if (byId("rd-filter-to").value !== "") { body.trigger_filter.to = typed(byId("rd-filter-to").value); }
    }
    var rules = [];
    root.querySelectorAll(".rd-rule").forEach(function (row) {
      var rule = {field: row.querySelector(".rd-rule-field").value.trim(),
                  op: row.querySelector(".rd-rule-op").value};
      if (rule.op !== "is_empty" && rule.op !== "is_not_empty") {
        rule.value = typed(row.querySelector(".rd-rule-value").value);
      }
      if (rule.field) { rules.push(rule); }
    });
    if (rules.length) { body.conditions = {match: byId("rd-match").value, rules: rules}; }
    root.querySelectorAll(".rd-action").forEach(function (card) {
      var type = card.querySelector(".rd-action-type").value;
      var params = {};
      card.querySelectorAll("[data-field]").forEach(function (input) {
        var name = input.getAttribute("data-field");
        var kind = input.getAttribute("data-type");
        if (input.type === "checkbox") { params[name] = input.checked; return; }
        if (input.value === "") { return; }
        params[name] = (kind === "Dict" || kind === "List") ? typed(input.value) : input.value;
      });
      body.actions.push({action_type: type, params: params});
    });
    return body;
  }

  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
                       headers: {"Content-Type": "application/json",
                                 "X-CSRFToken": root.getAttribute("data-csrf")},
                       body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (j) { return {status: r.status, json: j}; }); });
  }

  function show(title, value, isError) {
    var result = byId("rd-result");
    result.innerHTML = "";
    result.appendChild(el("h4", {text: title, className: isError ? "rd-errors" : ""}));
    result.appendChild(el("pre", {text: JSON.stringify(value, null, 2)}));
  }

  byId("rd-save").addEventListener("click", function () {
    post(root.getAttribute("data-save-url"), collect()).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        recipe = r.json.result;
        byId("rd-status").textContent = fill(words.saved_recipe, {id: r.json.id});
        show(words.saved, r.json.result, false);
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", root.getAttribute("data-save-url").replace(/save$/, String(r.json.id)));
        }
      } else {
        byId("rd-status").textContent = words.not_saved;
        show(words.please_fix, r.json.message, true);
      }
    });
  });

  byId("rd-test").addEventListener("click", function () {
    post(root.getAttribute("data-test-url"), collect()).then(function (r) {
      if (r.status !== 200) { show(words.cannot_test, r.json.message, true); return; }
      var result = r.json.result;
      if (!result.event) { show(words.no_event, result.message, true); return; }
      byId("rd-status").textContent = fill(words.event_n, {id: result.event.id,
                                                          type: result.event.type}) +
        (result.conditions_hold ? "" : " — " + words.conditions_fail);
      show(words.rendered, {event: result.event, conditions_hold: result.conditions_hold,
                               actions: result.actions, context: result.context}, false);
    });
  });

  // ------------------------------------------------------------------ an existing recipe
  if (recipe) {
    byId("rd-name").value = recipe.name || "";
    byId("rd-enabled").checked = !!recipe.enabled;
    byId("rd-position").value = recipe.position || 0;
    chooseTrigger(recipe.trigger_event || "");
    if (recipe.trigger_filter) {
      byId("rd-filter-field").value = recipe.trigger_filter.field || "";
      byId("rd-filter-from").value = shown(recipe.trigger_filter.from);
      byId("rd-filter-to").value = shown(recipe.trigger_filter.to);
    }
    if (recipe.conditions) {
      byId("rd-match").value = recipe.conditions.match || "all";
      (recipe.conditions.rules || []).forEach(addRule);
    }
    (recipe.actions || []).forEach(addAction);
  } else {
    addAction();
  }
}());
