// What the server may ask this browser to do: a fixed table of named actions, never code.
//
// Reflex runs a server-sent rx.call_script / rx.call_function (and a toast sent from the
// server) with eval(), which the Content-Security-Policy forbids ('unsafe-eval' is not in
// script-src). So the server never sends code. It asks for an action by name with Reflex's
// plain `_set_value` event on a hidden input every page carries (#portal-ask, see
// pages/browser.py): the value is JSON text {name, args}. This script sees the value change,
// looks the name up in ACTIONS below and runs that function with the arguments as data. A
// name outside the table does nothing.
//
// An action with an answer (what was typed, a passkey) sends it back through a hidden form
// (#portal-answer) whose submit goes to one server handler, SessionState.answer. The server
// knows what it asked and which handler takes the answer; the name sent back only has to
// match it.
//
// Loaded as a plain script in the page head (like submit_once.js), before the page renders.
(() => {
  if (window.portalBrowser) return;

  const ASK = "portal-ask";
  const ANSWER = "portal-answer";
  const TOAST = "portal-toast";

  // Send an answer to what the server asked, as JSON text.
  const answer = (name, value) => {
    const form = document.getElementById(ANSWER);
    if (!form) return;
    form.elements.namedItem("name").value = name;
    form.elements.namedItem("value").value = JSON.stringify(value === undefined ? null : value);
    form.requestSubmit();
  };

  // The sign-in handoff: exchange the one-time code for the HttpOnly session cookie (over
  // HTTP: an event socket cannot set one), then load the landing page.
  const handoff = ({ url, code, next, failed }) =>
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ code: String(code) }),
    })
      .then((r) => window.location.replace(r.ok ? next : failed))
      .catch(() => window.location.replace(failed));

  // Signing out: the route ends the session and clears the cookie, whatever happened here.
  const sign_out = ({ url, then }) =>
    fetch(url, { method: "POST", credentials: "same-origin" }).finally(() =>
      window.location.replace(then),
    );

  // Empty a form after the server saved it (only ever after a success).
  const reset_form = ({ id }) => {
    const form = document.getElementById(String(id));
    if (form instanceof HTMLFormElement) form.reset();
  };

  // The address without its query (an emailed link's token), keeping the page.
  const clean_address = () => window.history.replaceState(null, "", window.location.pathname);

  // What the page's forms hold, as a push is about to clear the page: the named text fields
  // with something in them, as [name, text] pairs.
  const TYPED = ["text", "textarea", "number", "date", "search"];
  const typed_now = () =>
    answer(
      "typed_now",
      Array.from(document.querySelectorAll("main textarea[name], main input[name]"))
        .filter((e) => TYPED.includes(e.type) && e.value.trim())
        .map((e) => [e.name, e.value]),
    );

  // A toast (the Reflex toaster, sonner): the compiled page holds the toaster, so a hidden
  // button's own click handler (compiled, not eval'd) hands it to showToast below.
  const toasts = [];
  const toast = (args) => {
    toasts.push(args);
    const button = document.getElementById(TOAST);
    if (button) button.click();
  };
  const showToast = (toaster) => {
    while (toasts.length) {
      const { level, title, description, duration, position } = toasts.shift();
      const options = {};
      if (description) options.description = description;
      if (duration) options.duration = duration;
      if (position) options.position = position;
      const show = toaster && (toaster[level] || toaster);
      if (typeof show === "function") {
        show(String(title || ""), options);
      } else {
        window.alert([title, description].filter(Boolean).join("\n"));
      }
    }
  };

  // Some of Reflex's browser helpers exist only in the compiled page (clearing an upload's
  // chosen files): a hidden button marked data-portal-press runs one as its own click
  // handler, compiled into the page; the server names the button.
  const press = ({ id }) => {
    const button = document.getElementById(String(id));
    if (button && button.hasAttribute("data-portal-press")) button.click();
  };

  // Passkeys: assets/passkeys.js asks the authenticator; the answer goes back as data.
  const passkey = (kind, name) => async ({ options }) => {
    const ceremonies = window.portalPasskeys;
    const result = ceremonies
      ? await ceremonies[kind](String(options))
      : { ok: false, reason: "unsupported" };
    answer(name, result);
  };

  const ACTIONS = Object.freeze({
    handoff,
    sign_out,
    reset_form,
    clean_address,
    typed_now,
    toast,
    press,
    passkey_create: passkey("create", "passkey_create"),
    passkey_get: passkey("get", "passkey_get"),
  });

  const run = (text) => {
    let asked;
    try {
      asked = JSON.parse(text);
    } catch {
      return;
    }
    if (!asked || typeof asked.name !== "string" || !Object.hasOwn(ACTIONS, asked.name)) return;
    try {
      const done = ACTIONS[asked.name](asked.args || {});
      if (done && typeof done.catch === "function") done.catch((e) => console.error(e));
    } catch (e) {
      console.error("portal action", asked.name, e);
    }
  };

  // Reflex's _set_value sets the hidden input's value; for a hidden input that sets its
  // value attribute, which is what this watches. Each ask is one event, so it runs once.
  new MutationObserver((records) => {
    for (const record of records) {
      const element = record.target;
      if (element.id === ASK && element.getAttribute("value")) {
        const text = element.getAttribute("value");
        element.removeAttribute("value");
        run(text);
      }
    }
  }).observe(document.documentElement, {
    subtree: true,
    attributes: true,
    attributeFilter: ["value"],
  });

  window.portalBrowser = Object.freeze({ showToast });
})();
