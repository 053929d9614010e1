/* Forms that guide (PL-06): field errors as you type (htmx fills each field's live region; this keeps
   aria-invalid and aria-describedby in step) and a draft kept in this browser for forms with data-draft. */
(function () {
  "use strict";

  // --- as-you-type validation: the fragment says whether the field is in error ---------------------------
  document.addEventListener("htmx:afterSwap", function (event) {
    var region = event.detail.target;
    if (!region.classList || !region.classList.contains("field-errors")) return;
    var field = region.closest(".field");
    var list = region.querySelector(".errorlist");
    var invalid = list !== null;
    field.classList.toggle("has-error", invalid);
    field.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.id) return;
      var errorId = (list && list.id) || el.id.replace(/_\d+$/, "") + "_error";
      var ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== errorId;
      });
      if (invalid) {
        el.setAttribute("aria-invalid", "true");
        ids.push(errorId);
      } else {
        el.removeAttribute("aria-invalid");
      }
      if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
      else el.removeAttribute("aria-describedby");
    });
  });

  // --- drafts in this browser (localStorage), for forms with data-draft="<form>:<user>" -------------------
  function inputs(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && ["file", "hidden", "submit", "button", "password"].indexOf(el.type) < 0;
    });
  }
  function read(form) {
    var values = {};
    inputs(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        values[el.name] = values[el.name] || [];
        if (el.checked) values[el.name].push(el.value);
      } else if (el.multiple) {
        values[el.name] = Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; });
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }
  function isBlank(form, name) {
    return inputs(form).filter(function (el) { return el.name === name; }).every(function (el) {
      if (el.type === "checkbox" || el.type === "radio") return !el.checked;
      if (el.tagName === "SELECT") return !el.value;
      return !el.value;
    });
  }
  // Fill only what is still empty: what the server sent back (a refused form) always wins over the draft.
  function restore(form, values) {
    var restored = false;
    Object.keys(values).forEach(function (name) {
      if (!isBlank(form, name)) return;
      var value = values[name];
      inputs(form).forEach(function (el) {
        if (el.name !== name) return;
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = value.indexOf(el.value) >= 0;
          restored = restored || el.checked;
        } else if (el.multiple) {
          Array.prototype.forEach.call(el.options, function (o) { o.selected = value.indexOf(o.value) >= 0; });
        } else if (value) {
          el.value = value;
          restored = restored || el.value === value;
        }
      });
    });
    return restored;
  }

  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = "iecq-draft:" + form.dataset.draft;
    var notice = form.querySelector(".draft-notice");
    var refused = form.querySelector(".has-error, .errorlist-box") !== null;
    var save = function () {
      try {
        localStorage.setItem(key, JSON.stringify({ savedAt: new Date().toISOString(), values: read(form) }));
      } catch (e) { /* storage full or disabled: the form still works, only without a draft */ }
    };
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (refused) {
      save(); // the server kept what was typed; keep it here too
    } else if (saved && saved.values && restore(form, saved.values) && notice) {
      var when = notice.querySelector("[data-draft-saved]");
      if (when) when.textContent = new Date(saved.savedAt).toLocaleString(document.documentElement.lang || undefined);
      notice.hidden = false;
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function () { localStorage.removeItem(key); });
    var discard = form.querySelector("[data-draft-discard]");
    if (discard) {
      discard.addEventListener("click", function () {
        localStorage.removeItem(key);
        inputs(form).forEach(function (el) {
          if (el.type === "checkbox" || el.type === "radio") el.checked = false;
          else el.value = "";
        });
        if (notice) notice.hidden = true;
      });
    }
  });
})();
