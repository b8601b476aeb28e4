// Every submit happens once, however often it is clicked.
//
// Forms and action buttons marked `data-once` carry the page's submission token in
// `data-token`. The first submit or click with a token goes through and disables the
// control, which shows that it is busy; a repeat with the same token (a double click, Enter
// pressed twice) is dropped before the page's own handlers see it. The server renews the
// token once it has handled the submission, success or refusal, which re-enables the
// control. The later clicks of a double-click are dropped whatever the token, because
// they can come after that renewal. The server also refuses to run one submission twice,
// so this script is what keeps the page calm, not what keeps the data right.
//
// The page loads this as a plain script in its head, so it is active before anything on
// the page can be clicked.
//
// Date inputs whose text the browser cannot read as a date (02/30/2026) submit an empty
// value; `_bad_dates` tells the server which ones, so it can say so instead of dropping it.
(() => {
  if (window.__submitOnce) return;
  window.__submitOnce = true;
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

  // A button whose click submits: an action button, or a submit button of a marked form.
  const submitting = (target) => {
    const button = target.closest && target.closest("button");
    if (!button) return null;
    if (button.hasAttribute("data-once")) return button;
    const form = button.form;
    return button.type === "submit" && form && form.hasAttribute("data-once") ? button : null;
  };

  // Whether the click sequence under way (the clicks of one double-click) began with a
  // submitting click.
  let submittedThisSequence = false;

  document.addEventListener(
    "click",
    (event) => {
      const button = submitting(event.target);
      if (event.detail > 1) {
        // The second click of a double-click (or third of a triple) is part of the first,
        // however late it comes. A person's double-click spans a few hundred milliseconds,
        // and the server often answers sooner: the token is renewed by then, the form may
        // be cleared, and another control may sit under the pointer ("Reactivate" where
        // "Deactivate" was, "Edit details" where "Cancel filing" was, or the next
        // person's row). It never submits, and after a submit it does nothing at all.
        if (button || submittedThisSequence) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
        return;
      }
      submittedThisSequence = Boolean(button);
      if (button && button.hasAttribute("data-once")) claim(button, event, button);
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
