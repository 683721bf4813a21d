// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Line formsets: "Add line" clones the empty form template; "Remove" ticks DELETE and hides the row.
  function setUpFormset(root) {
    var prefix = root.dataset.formset;
    var total = root.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var template = root.querySelector("template[data-empty-form]");
    var body = root.querySelector("[data-formset-body]");
    root.addEventListener("click", function (event) {
      var add = event.target.closest("[data-formset-add]");
      var remove = event.target.closest("[data-formset-remove]");
      if (add) {
        event.preventDefault();
        var index = parseInt(total.value, 10);
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        body.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        var rows = body.querySelectorAll("[data-formset-row]");
        var first = rows[rows.length - 1].querySelector("input, select, textarea");
        if (first) first.focus();
      } else if (remove) {
        event.preventDefault();
        var row = remove.closest("[data-formset-row]");
        var del = row.querySelector("input[name$='-DELETE']");
        if (del) del.checked = true;
        row.hidden = true;
      }
    });
  }

  // Invoice list: "select all" and the bulk-action bar's count.
  function setUpBulk(form) {
    var all = form.querySelector("[data-select-all]");
    var bar = form.querySelector("[data-bulk-bar]");
    var count = form.querySelector("[data-bulk-count]");
    function boxes() { return form.querySelectorAll("input[data-row-check]"); }
    function update() {
      var selected = Array.prototype.filter.call(boxes(), function (box) { return box.checked; }).length;
      count.textContent = String(selected);
      bar.hidden = selected === 0;
      if (all) {
        all.checked = selected > 0 && selected === boxes().length;
        all.indeterminate = selected > 0 && selected < boxes().length;
      }
    }
    form.addEventListener("change", function (event) {
      if (event.target === all) {
        boxes().forEach(function (box) { box.checked = all.checked; });
      }
      update();
    });
    var clear = form.querySelector("[data-bulk-clear]");
    if (clear) {
      clear.addEventListener("click", function (event) {
        event.preventDefault();
        boxes().forEach(function (box) { box.checked = false; });
        update();
      });
    }
    update();
  }

  // Choosing a company proposes its default currency.
  document.addEventListener("change", function (event) {
    var target = event.target.dataset && event.target.dataset.setsCurrency;
    if (!target) return;
    var option = event.target.selectedOptions[0];
    var currency = document.getElementById(target);
    if (option && option.dataset.currency && currency) currency.value = option.dataset.currency;
  });

  // The invoice form proposes its due date: the invoice date plus the company's payment terms, else the
  // subsidiary's (the options carry data-payment-terms). A due date the user typed is left alone.
  document.addEventListener("input", function (event) {
    if (event.target.id && document.querySelector('[data-sets-due-date="' + event.target.id + '"]')) {
      event.target.dataset.userSet = "1";
    }
  });
  document.addEventListener("change", function (event) {
    var target = event.target.dataset && event.target.dataset.setsDueDate;
    var due = target && document.getElementById(target);
    if (!due || due.dataset.userSet) return;
    var sources = event.target.form.querySelectorAll('[data-sets-due-date="' + target + '"]');
    var issued = null, terms = { company: null, subsidiary: null };
    sources.forEach(function (source) {
      if (source.type === "date") issued = source.value;
      var option = source.selectedOptions && source.selectedOptions[0];
      if (option && option.dataset.paymentTerms) terms[source.name] = Number(option.dataset.paymentTerms);
    });
    var days = terms.company !== null ? terms.company : terms.subsidiary !== null ? terms.subsidiary : 30;
    if (!issued) return;
    var date = new Date(issued + "T00:00:00Z");
    date.setUTCDate(date.getUTCDate() + days);
    due.value = date.toISOString().slice(0, 10);
  });

  // Forms with data-confirm ask before submitting (void, remove).
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  // A posted form is sent once: its submit buttons are disabled and the one pressed shows a spinner until the
  // next page arrives (a copy can wait on a slow provider). Disabled after the event, so the pressed button's
  // name=value is still sent; HTMX forms use hx-disabled-elt instead. The server's attempt key still guards resends.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.method || "").toLowerCase() !== "post" || form.target === "_blank") return;
    if (form.hasAttribute("hx-post") || form.hasAttribute("data-hx-post")) return;
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    var pressed = event.submitter;
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
      document.querySelectorAll("[form='" + form.id + "'][type=submit]").forEach(function (button) {
        if (form.id) button.disabled = true;
      });
      if (pressed) {
        pressed.classList.add("is-submitting");
        pressed.setAttribute("aria-busy", "true");
      }
    }, 0);
  });
  // Back to a page from the history cache: its forms can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("[disabled].is-submitting, button[type=submit], input[type=submit]").forEach(function (b) {
        b.disabled = false;
        b.classList.remove("is-submitting");
        b.removeAttribute("aria-busy");
      });
    });
  });

  // A search field inside a form (the copy prompt's contact search): Enter searches now instead of sending the form.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches || !event.target.matches("[data-search-on-enter]")) return;
    event.preventDefault();
    event.target.dispatchEvent(new Event("search", { bubbles: true }));
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-formset]").forEach(setUpFormset);
    document.querySelectorAll("[data-bulk-form]").forEach(setUpBulk);
  });
})();
