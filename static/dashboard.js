// dsar dashboard: small progressive enhancements. Every page works without this file.
"use strict";

document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches("select[data-autosubmit]")) {
    field.form.requestSubmit();
    return;
  }
  var targetId = field.getAttribute && field.getAttribute("data-fill");
  if (targetId) {
    // A denial template fills the reason, unless the reason was already written by hand.
    var target = document.getElementById(targetId);
    var option = field.options[field.selectedIndex];
    var text = option ? option.getAttribute("data-text") || "" : "";
    if (target && (target.value === "" || target.value === target.getAttribute("data-filled"))) {
      target.value = text;
      target.setAttribute("data-filled", text);
    }
  }
});
