// policy-tools serve: small progressive enhancement of the compare page. Every link
// works without it; with it, opening a change (a click on it, or any link to
// #change-...) scrolls both page panes to its boxes and marks them.
(function () {
  "use strict";

  function marksOf(id, side) {
    return document.querySelectorAll(
      '[data-side="' + side + '"][data-change="' + CSS.escape(id) + '"]');
  }

  function clear() {
    document.querySelectorAll(".active, .page-active").forEach(function (el) {
      el.classList.remove("active");
      el.classList.remove("page-active");
    });
  }

  function activate(id) {
    var block = document.querySelector('.change-block[data-change="' + CSS.escape(id) + '"]');
    if (!block) { return; }
    clear();
    block.classList.add("active");
    ["old", "new"].forEach(function (side) {
      var marks = marksOf(id, side);
      marks.forEach(function (el) {
        el.classList.add("active");
        if (el.classList.contains("pg-mark")) { el.parentElement.classList.add("page-active"); }
      });
      if (marks.length) { marks[0].scrollIntoView({ block: "center", inline: "nearest" }); }
    });
  }

  function fromHash() {
    var hash = decodeURIComponent(window.location.hash.slice(1));
    var target = hash ? document.getElementById(hash) : null;
    if (!target) { return; }
    var block = target.closest(".change-block");
    var id = block ? block.dataset.change : target.dataset.change;
    if (id) { activate(id); }
  }

  document.addEventListener("click", function (event) {
    var block = event.target.closest(".change-block");
    if (!block || event.target.closest("a")) { return; }
    var li = block.querySelector("li.change");
    if (li && window.location.hash !== "#" + li.id) { window.location.hash = li.id; }
    else { activate(block.dataset.change); }
  });
  window.addEventListener("hashchange", fromHash);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fromHash);
  } else {
    fromHash();
  }
}());
