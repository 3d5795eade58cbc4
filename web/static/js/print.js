// The "Print handout" button (the page's print CSS turns it into a one-page handout).
(function () {
  var button = document.getElementById("print-handout");
  if (!button) return;
  button.classList.remove("js-only");
  button.addEventListener("click", function () { window.print(); });
})();
