// Every submit happens once, however often it is clicked.
//
// Forms and action buttons marked `data-once` carry the page's submission token in
// `data-token`. The first submit or click with a token goes through and disables the
// control, which shows that it is busy; a repeat with the same token (a double click, Enter
// pressed twice) is dropped before the page's own handlers see it. The server renews the
// token once it has handled the submission, success or refusal, which re-enables the
// control. The server also refuses to run one submission twice, so this script is what
// keeps the page calm, not what keeps the data right.
//
// Date inputs whose text the browser cannot read as a date (02/30/2026) submit an empty
// value; `_bad_dates` tells the server which ones, so it can say so instead of dropping it.
(() => {
  const inflight = new WeakMap();
  const SAFETY_MS = 30000;

  const busy = (control, on) => {
    if (!control) return;
    if (on) {
      control.setAttribute("aria-busy", "true");
      control.setAttribute("data-busy", "");
      control.disabled = true;
    } else if (control.hasAttribute("data-busy")) {
      control.removeAttribute("aria-busy");
      control.removeAttribute("data-busy");
      control.disabled = false;
    }
  };

  const release = (element) => {
    inflight.delete(element);
    if (element.tagName === "FORM") {
      element.querySelectorAll("[data-busy]").forEach((c) => busy(c, false));
    } else {
      busy(element, false);
    }
  };

  const claim = (element, event, control) => {
    const token = element.getAttribute("data-token") || "";
    if (inflight.has(element) && inflight.get(element) === token) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return false;
    }
    inflight.set(element, token);
    busy(control, true);
    window.setTimeout(() => {
      if (inflight.get(element) === token) release(element);
    }, SAFETY_MS);
    return true;
  };

  const markBadDates = (form) => {
    const bad = [...form.querySelectorAll('input[type="date"]')]
      .filter((input) => input.name && input.validity && input.validity.badInput)
      .map((input) => input.name);
    let field = form.querySelector('input[name="_bad_dates"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "_bad_dates";
      form.appendChild(field);
    }
    field.value = bad.join(",");
  };

  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      markBadDates(form);
      if (!form.hasAttribute("data-once")) return;
      const control =
        event.submitter || form.querySelector('button[type="submit"], button:not([type])');
      claim(form, event, control);
    },
    true,
  );

  document.addEventListener(
    "click",
    (event) => {
      const button = event.target.closest && event.target.closest("button[data-once]");
      if (!button) return;
      claim(button, event, button);
    },
    true,
  );

  new MutationObserver((records) => {
    for (const record of records) {
      const element = record.target;
      if (inflight.has(element) && inflight.get(element) !== element.getAttribute("data-token")) {
        release(element);
      }
    }
  }).observe(document.documentElement, {
    subtree: true,
    attributes: true,
    attributeFilter: ["data-token"],
  });
})();
