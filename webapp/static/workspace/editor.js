/* The composer's rich text: Squire (vendored, webapp/static/vendor/squire) over the plain
   textarea, which stays the form field (and the editor when scripts or Squire are missing).
   Pasted or dropped files are not Squire's business: ticket.js attaches them to the reply. */
(function () {
  "use strict";

  var textarea = document.getElementById("rd-body");
  var holder = document.getElementById("rd-editor");
  var toolbar = document.getElementById("rd-editor-toolbar");
  if (!textarea || !holder || !toolbar || typeof window.Squire !== "function") { return; }

  var editor = new window.Squire(holder, { blockTag: "P" });
  if (textarea.value.trim()) {
    // A draft kept after a refused send: the editor's own HTML, or plain text typed before.
    var draft = textarea.value;
    editor.setHTML(/<[a-z][^>]*>/i.test(draft) ? draft : draft.split(/\n{2,}/).map(function (p) {
      var node = document.createElement("p");
      node.textContent = p;
      return node.outerHTML.replace(/\n/g, "<br>");
    }).join(""));
  }

  function isEmpty() {
    return !holder.textContent.trim() && !holder.querySelector("img");
  }

  function sync() {
    textarea.value = isEmpty() ? "" : editor.getHTML();
    holder.classList.toggle("rd-editor-empty", isEmpty());
  }

  editor.addEventListener("input", sync);
  holder.addEventListener("input", sync);
  textarea.form.addEventListener("submit", sync, true);

  var actions = {
    bold: function () { editor.hasFormat("B") ? editor.removeBold() : editor.bold(); },
    italic: function () { editor.hasFormat("I") ? editor.removeItalic() : editor.italic(); },
    ul: function () { editor.hasFormat("UL") ? editor.removeList() : editor.makeUnorderedList(); },
    ol: function () { editor.hasFormat("OL") ? editor.removeList() : editor.makeOrderedList(); },
    quote: function () {
      editor.hasFormat("BLOCKQUOTE") ? editor.decreaseQuoteLevel() : editor.increaseQuoteLevel();
    },
    code: function () { editor.toggleCode(); },
    link: function () {
      if (editor.hasFormat("A")) { editor.removeLink(); return; }
      var url = window.prompt(toolbar.getAttribute("data-link-prompt"), "https://");
      if (url && /^(https?:|mailto:)/i.test(url.trim())) { editor.makeLink(url.trim()); }
    }
  };

  toolbar.addEventListener("mousedown", function (event) {
    if (event.target.closest("button")) { event.preventDefault(); }  // keep the selection
  });
  toolbar.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) { return; }
    actions[button.getAttribute("data-action")]();
    editor.focus();
    sync();
  });

  editor.addEventListener("pathChange", function () {
    toolbar.querySelectorAll("button[data-format]").forEach(function (button) {
      button.classList.toggle("active", editor.hasFormat(button.getAttribute("data-format")));
    });
  });

  textarea.hidden = true;
  holder.hidden = false;
  toolbar.hidden = false;
  sync();
  window.RelaydeskEditor = editor;
})();
