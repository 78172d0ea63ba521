// The widget loader, served at /widget/<portal>/widget.js inside `(function (config) { … })`
// with config = {panel, colour, open, close, title} (see webapp/widget/script.py).
// It adds a launcher button and, when first opened, an iframe with our panel. It reads
// nothing of the host page but its address (passed on as page_url) and lives in a shadow
// root so that the page's styles and ours do not mix.
"use strict";
var HOST_ID = "relaydesk-widget";

function build() {
  if (document.getElementById(HOST_ID)) { return; }  // the snippet was pasted twice
  var host = document.createElement("div");
  host.id = HOST_ID;
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = document.createElement("style");
  style.textContent = [
    ":host { all: initial; }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483646;",
    "  display: flex; align-items: center; gap: 8px; padding: 12px 18px; border: 0;",
    "  border-radius: 999px; background: " + config.colour + "; color: #fff; cursor: pointer;",
    "  font: 600 15px/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.25); }",
    ".launcher:focus-visible { outline: 3px solid #fff; outline-offset: 2px; }",
    ".panel { position: fixed; right: 20px; bottom: 80px; z-index: 2147483647;",
    "  width: 380px; height: 600px; max-width: calc(100vw - 24px); max-height: calc(100vh - 100px);",
    "  border: 0; border-radius: 12px; background: #fff; box-shadow: 0 8px 30px rgba(0,0,0,.3); }",
    "@media (max-width: 480px) { .panel { right: 0; bottom: 0; width: 100vw; height: 100vh;",
    "  max-width: none; max-height: none; border-radius: 0; }",
    "  .open .launcher { bottom: auto; top: 8px; right: 8px; padding: 8px 12px; } }",
  ].join("\n");
  var wrap = document.createElement("div");
  var button = document.createElement("button");
  button.type = "button";
  button.className = "launcher";
  button.setAttribute("aria-expanded", "false");
  button.textContent = config.open;
  var frame = null;

  button.addEventListener("click", function () {
    var opening = !frame || frame.hidden;
    if (!frame) {
      frame = document.createElement("iframe");
      frame.className = "panel";
      frame.title = config.title;
      frame.src = config.panel + "?page_url=" + encodeURIComponent(window.location.href);
      wrap.insertBefore(frame, button);
    }
    frame.hidden = !opening;
    frame.style.display = opening ? "" : "none";
    wrap.className = opening ? "open" : "";
    button.textContent = opening ? config.close : config.open;
    button.setAttribute("aria-expanded", opening ? "true" : "false");
  });

  wrap.appendChild(button);
  root.appendChild(style);
  root.appendChild(wrap);
  document.body.appendChild(host);
}

if (document.body) {
  build();
} else {
  document.addEventListener("DOMContentLoaded", build);
}
