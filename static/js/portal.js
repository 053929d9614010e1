// Portal behaviour that would otherwise be inline handlers (the Content Security Policy forbids those):
// a <select data-autosubmit> submits its form when its value changes.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.submit();
  }
});
