// Suggested knowledge-base articles while a customer types a request's subject.
// The box (#kb-suggestions) carries the search URL and the input's name; its heading is
// rendered (and translated) by the server. No answer, or an error, leaves it hidden.
(function () {
  "use strict";
  var box = document.getElementById("kb-suggestions");
  if (!box || !window.fetch) { return; }
  var input = document.querySelector('[name="' + box.dataset.for + '"]');
  var list = box.querySelector("ul");
  if (!input || !list) { return; }
  var timer = null;
  var latest = 0;

  function show(articles) {
    list.textContent = "";
    articles.forEach(function (article) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = article.url;
      link.target = "_blank";  // the typed request stays where it is
      link.rel = "noopener";
      link.textContent = article.title;
      li.appendChild(link);
      if (article.snippet) {
        var snippet = document.createElement("div");
        snippet.className = "muted";
        snippet.textContent = article.snippet;
        li.appendChild(snippet);
      }
      list.appendChild(li);
    });
    box.hidden = articles.length === 0;
  }

  function ask() {
    var text = input.value.trim();
    var ticket = ++latest;
    if (text.length < 3) { show([]); return; }
    var url = box.dataset.url + (box.dataset.url.indexOf("?") < 0 ? "?" : "&") +
      "q=" + encodeURIComponent(text);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { articles: [] }; })
      .then(function (data) {
        if (ticket === latest) { show((data && data.articles) || []); }
      })
      .catch(function () { if (ticket === latest) { show([]); } });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 300);
  });
})();
