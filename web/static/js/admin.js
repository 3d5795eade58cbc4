// The organization picker's type-ahead: fills each picker's <datalist> with the organizations whose
// name holds what was typed (GET /admin/organizations.json?q=). Without JavaScript the typed text
// is sent as it is and the server asks which organization was meant.
(function () {
  var inputs = document.querySelectorAll("input[data-suggest]");
  inputs.forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-suggest");
    var timer = null, last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2 || q === last) return;
        last = q;
        fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (data) {
            if (input.value.trim() !== q) return;  // typed on since
            list.textContent = "";
            data.items.forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.name;
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 150);
    });
  });
})();
