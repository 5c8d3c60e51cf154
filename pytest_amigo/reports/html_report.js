/* pytest-amigo HTML report: the filter and the search box (progressive enhancement: without
   this script every unit test is shown and the controls stay hidden). */
(function () {
  "use strict";
  var form = document.getElementById("controls");
  if (!form) { return; }
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var tests = Array.prototype.slice.call(document.querySelectorAll("article.ut"));
  var sets = Array.prototype.slice.call(document.querySelectorAll("section.set"));
  function mode() {
    var checked = form.querySelector("input[name=show]:checked");
    return checked ? checked.value : "all";
  }
  function apply() {
    var failingOnly = mode() === "failing";
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    tests.forEach(function (el) {
      var text = el.getAttribute("data-search") || "";
      var visible = (!failingOnly || el.getAttribute("data-failing") === "1") &&
        words.every(function (w) { return text.indexOf(w) !== -1; });
      el.hidden = !visible;
      if (visible) { count += 1; }
    });
    sets.forEach(function (set) {
      var mine = set.querySelectorAll("article.ut");
      var hidden = set.querySelectorAll("article.ut[hidden]").length;
      var note = set.querySelector(".filtered");
      if (note) {
        note.hidden = hidden === 0;
        note.textContent = hidden === mine.length
          ? "No unit test of this set matches the filter (" + hidden + " hidden)."
          : hidden + " unit test" + (hidden === 1 ? "" : "s") + " of this set hidden by the filter.";
      }
    });
    shown.textContent = "Showing " + count + " of " + tests.length + " unit tests.";
  }
  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
}());
