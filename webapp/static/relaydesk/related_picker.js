/* Related-row pickers (select.related-picker, rendered by webapp/views/related_picker.py):
   the select holds only the chosen row(s); Select2 (shipped with Flask-AppBuilder) asks the
   screen's /related/<column> endpoint for at most 20 matches while the user types.
   List filters add their selects later (ab_filters.js), so new ones are set up as they appear. */
(function ($) {
  "use strict";
  if (!$ || !$.fn || !$.fn.select2 || window.relaydeskRelatedPicker) { return; }
  window.relaydeskRelatedPicker = true;

  function setUp(select) {
    var $select = $(select);
    if ($select.data("select2") || !document.body.contains(select)) { return; }
    var noResults = $select.attr("data-no-results") || "No results";
    $select.select2({
      theme: "bootstrap",
      width: "100%",
      placeholder: $select.attr("data-placeholder") || "",
      allowClear: $select.attr("data-allow-clear") === "1",
      ajax: {
        url: $select.attr("data-url"),
        dataType: "json",
        delay: 250,
        cache: true,
        data: function (params) {
          return {q: params.term || "", page: (params.page || 1) - 1};
        }
      },
      language: {noResults: function () { return noResults; }}
    });
    // Select2 4.0.13 no longer focuses its search box under jQuery 3.6: do it, so typing
    // right after opening searches.
    $select.on("select2:open", function () {
      var box = $select.data("select2").$container.find(".select2-search__field");
      if (!box.length) { box = $(".select2-container--open .select2-search__field"); }
      if (box.length) { box.last()[0].focus(); }
    });
  }

  function setUpAll(root) {
    $(root).find("select.related-picker").addBack("select.related-picker").each(function () {
      setUp(this);
    });
  }

  setUpAll(document.body);
  if (window.MutationObserver) {
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        Array.prototype.forEach.call(change.addedNodes, function (node) {
          if (node.nodeType === 1) { setUpAll(node); }
        });
      });
    }).observe(document.body, {childList: true, subtree: true});
  }
}(window.jQuery));
