// Shows the filter groups that fit the chosen need (meeting types for support groups, pets for
// housing, ...) and disables the others so they are not sent. The server does the same, so the
// form is right without JavaScript after each search.
(function () {
  var need = document.getElementById("category");
  if (!need) return;
  function update() {
    var value = need.value;
    document.querySelectorAll(".search-form [data-needs]").forEach(function (el) {
      var needs = el.getAttribute("data-needs");
      var fits = needs === "*" || needs.split(",").indexOf(value) !== -1;
      el.hidden = !fits;
      if (el.tagName === "FIELDSET") {
        el.disabled = !fits;
      } else {
        el.querySelectorAll("input").forEach(function (input) { input.disabled = !fits; });
      }
    });
  }
  need.addEventListener("change", update);
  update();
})();
