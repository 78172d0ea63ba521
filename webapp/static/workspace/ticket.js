/* The ticket page: properties that save on change through PUT /api/v1/<kind>/<id> with an
   undo toast, the composer's reply / note switch, pasted and dropped files, convert to task. */
(function () {
  "use strict";

  var configNode = document.getElementById("rd-ticket-config");
  if (!configNode) { return; }
  var config = JSON.parse(configNode.textContent);
  var text = config.text;
  var toast = document.getElementById("rd-toast");
  var toastTimer = null;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function describe(body, status) {
    var problem = body && (body.message || body.errors);
    if (!problem) { return "HTTP " + status; }
    if (typeof problem === "string") { return problem; }
    return Object.keys(problem).map(function (key) {
      var value = problem[key];
      var label = text[key] || key;
      return label + ": " + (Array.isArray(value) ? value.join("; ") : JSON.stringify(value));
    }).join(" — ");
  }

  function put(body) {
    return fetch(config.apiUrl, {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": config.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (answer) {
        if (!response.ok) { throw new Error(describe(answer, response.status)); }
        return answer;
      });
    });
  }

  function showToast(message, undo, isError) {
    toast.hidden = false;
    toast.classList.toggle("rd-toast-error", !!isError);
    toast.querySelector(".rd-toast-text").textContent = message;
    var button = toast.querySelector(".rd-toast-undo");
    button.hidden = !undo;
    button.onclick = undo ? function () { hideToast(); undo(); } : null;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(hideToast, isError ? 12000 : 8000);
  }

  function hideToast() { toast.hidden = true; }

  // --- reading and setting each kind of control -------------------------------------------

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function localValue(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function utcValue(local) {
    // Stored as naive UTC: "2026-12-08T14:00:00".
    return local ? new Date(local).toISOString().slice(0, 19) : null;
  }

  function read(el) {
    var type = el.getAttribute("data-type");
    if (type === "ids") {
      return Array.prototype.map.call(el.querySelectorAll("input:checked"),
        function (box) { return parseInt(box.value, 10); });
    }
    if (type === "stars") { return parseInt(el.getAttribute("data-value"), 10) || 0; }
    if (type === "datetime") { return utcValue(el.value); }
    if (type === "bool") { return el.checked; }
    if (type === "multi") {
      return Array.prototype.filter.call(el.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
    }
    if (type === "number") { return el.value === "" ? null : Number(el.value); }
    if (type === "text") { return el.value === "" ? null : el.value; }
    return el.value === "" ? null : parseInt(el.value, 10);
  }

  function write(el, value) {
    var type = el.getAttribute("data-type");
    if (type === "ids") {
      el.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        box.checked = (value || []).indexOf(parseInt(box.value, 10)) >= 0;
      });
      summarize(el);
    } else if (type === "stars") {
      setStars(el, value);
    } else if (type === "datetime") {
      el.value = value ? localValue(value + "Z") : "";
    } else if (type === "bool") {
      el.checked = !!value;
    } else if (type === "multi") {
      Array.prototype.forEach.call(el.options, function (o) {
        o.selected = (value || []).indexOf(o.value) >= 0;
      });
    } else {
      el.value = value === null || value === undefined ? "" : String(value);
    }
  }

  function summarize(el) {
    var names = Array.prototype.map.call(el.querySelectorAll("input:checked"), function (box) {
      return box.parentNode.textContent.trim();
    });
    var holder = el.querySelector(".rd-prop-value");
    holder.textContent = names.length ? names.join(", ") : holder.getAttribute("data-empty");
  }

  function setStars(el, value) {
    el.setAttribute("data-value", value);
    el.querySelectorAll(".rd-star").forEach(function (star) {
      var n = parseInt(star.getAttribute("data-value"), 10);
      star.classList.toggle("rd-star-on", n <= value);
      star.setAttribute("aria-checked", n === value ? "true" : "false");
    });
  }

  // --- saving: one PUT per change, the previous value kept for undo ----------------------

  var customNode = document.getElementById("rd-custom-values");
  var customValues = customNode ? JSON.parse(customNode.textContent) : {};
  var previous = new Map();

  function fieldLabel(el) {
    var label = el.closest(".rd-prop");
    var named = label && label.querySelector(".rd-prop-label");
    return named ? named.textContent.replace("*", "").trim() : (text[el.getAttribute("data-field")] || "");
  }

  function save(el, body, before, reload) {
    el.classList.add("rd-saving");
    return put(body).then(function () {
      el.classList.remove("rd-saving");
      if (reload) { window.location.reload(); return; }
      var after = read(el);
      previous.set(el, after);
      if (el.getAttribute("data-field") === "status") { updateBadge(el); }
      showToast(format(text.saved, { field: fieldLabel(el) }), function () {
        write(el, before.control);
        save(el, before.body, { control: after, body: body }, false).then(function () {
          showToast(text.undone, null, false);
        });
      }, false);
    }).catch(function (error) {
      el.classList.remove("rd-saving");
      write(el, before.control);
      showToast(format(text.failed, { reason: error.message }), null, true);
      throw error;
    });
  }

  function updateBadge(select) {
    var badge = document.getElementById("rd-status-badge");
    if (badge) { badge.textContent = select.options[select.selectedIndex].textContent; }
  }

  function onField(el) {
    var field = el.getAttribute("data-field");
    var type = el.getAttribute("data-type");
    var before = previous.get(el);
    var value = read(el);
    if (JSON.stringify(value) === JSON.stringify(before)) { return; }  // nothing changed
    var body = {};
    var beforeBody = {};
    body[field] = value;
    beforeBody[field] = before;
    if (type === "type") {
      // A new type brings its own workflow: the item starts in the type's first status.
      var option = el.options[el.selectedIndex];
      body.status = parseInt(option.getAttribute("data-first-status"), 10) || null;
      // Values of fields the new type does not have would be refused: keep only its own.
      var keys = (option.getAttribute("data-field-keys") || "").split(",");
      var kept = {};
      Object.keys(customValues).forEach(function (key) {
        if (keys.indexOf(key) >= 0) { kept[key] = customValues[key]; }
      });
      body.custom_values = kept;
      return save(el, body, { control: before, body: beforeBody }, true).catch(function () {});
    }
    if (type === "project") {
      body.folder = null;  // folders belong to one project
      return save(el, body, { control: before, body: beforeBody }, true).catch(function () {});
    }
    save(el, body, { control: before, body: beforeBody }, false).catch(function () {});
  }

  function onCustom(el) {
    var key = el.getAttribute("data-custom");
    var before = Object.assign({}, customValues);
    var after = Object.assign({}, customValues);
    var value = read(el);
    if (JSON.stringify(value) === JSON.stringify(before[key] === undefined ? null : before[key])) {
      return;
    }
    if (value === null || (Array.isArray(value) && !value.length)) { delete after[key]; }
    else { after[key] = value; }
    el.classList.add("rd-saving");
    put({ custom_values: after }).then(function () {
      el.classList.remove("rd-saving");
      customValues = after;
      showToast(format(text.saved, { field: fieldLabel(el) }), function () {
        put({ custom_values: before }).then(function () {
          customValues = before;
          write(el, before[key] === undefined ? null : before[key]);
          showToast(text.undone, null, false);
        }).catch(function (error) {
          showToast(format(text.failed, { reason: error.message }), null, true);
        });
      }, false);
    }).catch(function (error) {
      el.classList.remove("rd-saving");
      write(el, before[key] === undefined ? null : before[key]);
      showToast(format(text.failed, { reason: error.message }), null, true);
    });
  }

  document.querySelectorAll("[data-field]").forEach(function (el) {
    var type = el.getAttribute("data-type");
    if (type === "datetime") { el.value = localValue(el.getAttribute("data-utc")); }
    previous.set(el, read(el));
    if (type === "stars") {
      el.addEventListener("click", function (event) {
        var star = event.target.closest(".rd-star");
        if (!star || star.disabled) { return; }
        var value = parseInt(star.getAttribute("data-value"), 10);
        if (value === previous.get(el)) { return; }
        setStars(el, value);
        onField(el);
      });
    } else if (type === "ids") {
      el.addEventListener("change", function () { summarize(el); onField(el); });
    } else {
      el.addEventListener("change", function () { onField(el); });
    }
  });
  document.querySelectorAll("[data-custom]").forEach(function (el) {
    el.addEventListener("change", function () { onCustom(el); });
  });

  // --- composer --------------------------------------------------------------------------

  var form = document.getElementById("rd-composer");
  if (form) {
    var fileInput = document.getElementById("rd-file-input");
    var list = document.getElementById("rd-files");
    var picked = [];

    var setMode = function () {
      var privateNote = form.querySelector("input[name=visibility]:checked").value === "private";
      form.classList.toggle("rd-composer-private", privateNote);
    };
    form.querySelectorAll("input[name=visibility]").forEach(function (radio) {
      radio.addEventListener("change", setMode);
    });
    setMode();

    var syncFiles = function () {
      var transfer = new DataTransfer();
      picked.forEach(function (file) { transfer.items.add(file); });
      fileInput.files = transfer.files;
      list.innerHTML = "";
      picked.forEach(function (file, index) {
        var chip = document.createElement("span");
        chip.className = "rd-file-chip";
        if (file.type.indexOf("image/") === 0) {
          var img = document.createElement("img");
          img.src = URL.createObjectURL(file);
          img.alt = "";
          chip.appendChild(img);
        }
        chip.appendChild(document.createTextNode(file.name));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-link btn-xs";
        remove.textContent = "×";
        remove.setAttribute("aria-label", text.remove + " " + file.name);
        remove.addEventListener("click", function () { picked.splice(index, 1); syncFiles(); });
        chip.appendChild(remove);
        list.appendChild(chip);
      });
    };

    var addFiles = function (files) {
      Array.prototype.forEach.call(files, function (file, i) {
        if (!file.name || file.name === "image.png") {
          // A pasted screenshot has no useful name: give it one that sorts by time.
          var stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
          file = new File([file], "pasted-" + stamp + "-" + i + "." +
            ((file.type.split("/")[1] || "png")), { type: file.type });
        }
        picked.push(file);
      });
      syncFiles();
    };

    fileInput.addEventListener("change", function () {
      var chosen = Array.prototype.slice.call(fileInput.files);
      addFiles(chosen);
    });
    // Captured on the form, before the editor sees them: pasted files become attachments.
    form.addEventListener("paste", function (event) {
      var files = event.clipboardData && event.clipboardData.files;
      if (files && files.length) {
        event.preventDefault();
        event.stopPropagation();
        addFiles(files);
      }
    }, true);
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        event.preventDefault();
        form.classList.add("rd-drop");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () { form.classList.remove("rd-drop"); });
    });
    form.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        event.preventDefault();
        event.stopPropagation();
        addFiles(event.dataTransfer.files);
      }
    }, true);
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  }

  // --- actions ---------------------------------------------------------------------------

  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  var printButton = document.getElementById("rd-print");
  if (printButton) { printButton.addEventListener("click", function () { window.print(); }); }

  var convert = document.getElementById("rd-convert");
  if (convert) {
    convert.addEventListener("click", function () {
      if (!window.confirm(text.converting)) { return; }
      fetch(convert.getAttribute("data-url"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
        body: "{}"
      }).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (answer) {
          if (!response.ok) { throw new Error(describe(answer, response.status)); }
          window.location.reload();
        });
      }).catch(function (error) {
        showToast(format(text.failed, { reason: error.message }), null, true);
      });
    });
  }

  // --- keyboard --------------------------------------------------------------------------

  function typing(event) {
    var target = event.target;
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  function focusComposer(mode) {
    if (!form) { return; }
    var radio = form.querySelector("input[name=visibility][value=" + mode + "]");
    if (radio && !radio.checked) { radio.checked = true; radio.dispatchEvent(new Event("change")); }
    var editor = document.getElementById("rd-editor");
    var target = editor && !editor.hidden ? editor : document.getElementById("rd-body");
    target.focus();
  }
  function assignToMe() {
    var list = document.querySelector('[data-field="assignee_users"]');
    var box = list && list.querySelector('input[type=checkbox][value="' + config.me + '"]');
    if (box && !box.checked && !box.disabled) {
      box.checked = true;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }
  var help = document.getElementById("rd-ticket-help");
  document.addEventListener("keydown", function (event) {
    var modifier = event.ctrlKey || event.metaKey;
    if (form && modifier && event.key === "Enter" && form.contains(event.target)) {
      event.preventDefault();
      var button = event.shiftKey ? form.querySelector(".rd-send-status[data-done]")
        : document.getElementById("rd-send");
      if (button) { button.click(); }
      return;
    }
    if (event.key === "Escape" && typing(event)) { event.target.blur(); return; }
    if (typing(event) || modifier || event.altKey || (help && help.open)) { return; }
    if (event.key === "a") { event.preventDefault(); assignToMe(); }
    else if (event.key === "r") { event.preventDefault(); focusComposer("public"); }
    else if (event.key === "p") { event.preventDefault(); focusComposer("private"); }
    else if (event.key === "?" && help) { help.showModal(); }
  });
})();
