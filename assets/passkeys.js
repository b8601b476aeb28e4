// Passkeys (WebAuthn) in the browser: the one piece of the ceremony the server cannot do.
//
// The server asks for assets/portal.js's "passkey_create" / "passkey_get" action with the
// options as JSON text (binary fields in base64url), as data, never code
// (portal/browser.py). portal.js calls these functions, which turn the base64url fields
// into bytes, ask the browser's authenticator, and resolve with {ok: true, credential: <the
// answer as JSON text, base64url>} or {ok: false, reason: <a word the server turns into a
// sentence>}; portal.js sends that back as the answer. They never reject.
//
// Loaded as a plain script in the page head (like submit_once.js), so no inline code is
// needed for it.
(() => {
  if (window.portalPasskeys) return;

  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  };

  const toText = (buffer) => {
    if (!buffer) return null;
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  const descriptors = (list) =>
    (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));

  // Why it did not work, as a word the server turns into a sentence (state/passkeys.py).
  const reason = (error, creating) => {
    const name = (error && error.name) || "";
    if (name === "NotAllowedError" || name === "AbortError") return "cancelled";
    if (creating && name === "InvalidStateError") return "exists";
    if (name === "SecurityError") return "insecure";
    if (name === "NotSupportedError") return "unsupported";
    return "failed";
  };

  const supported = () =>
    !!(window.PublicKeyCredential && navigator.credentials && window.isSecureContext);

  const UNSUPPORTED = { ok: false, reason: "unsupported" };

  const create = async (optionsText) => {
    if (!supported()) return UNSUPPORTED;
    try {
      const options = JSON.parse(optionsText);
      options.challenge = toBytes(options.challenge);
      options.user = { ...options.user, id: toBytes(options.user.id) };
      options.excludeCredentials = descriptors(options.excludeCredentials);
      const made = await navigator.credentials.create({ publicKey: options });
      const response = made.response;
      const credential = {
        id: made.id,
        rawId: toText(made.rawId),
        type: made.type,
        authenticatorAttachment: made.authenticatorAttachment || null,
        clientExtensionResults: made.getClientExtensionResults ? made.getClientExtensionResults() : {},
        response: {
          clientDataJSON: toText(response.clientDataJSON),
          attestationObject: toText(response.attestationObject),
          transports: response.getTransports ? response.getTransports() : [],
        },
      };
      return { ok: true, credential: JSON.stringify(credential) };
    } catch (error) {
      return { ok: false, reason: reason(error, true) };
    }
  };

  const get = async (optionsText) => {
    if (!supported()) return UNSUPPORTED;
    try {
      const options = JSON.parse(optionsText);
      options.challenge = toBytes(options.challenge);
      options.allowCredentials = descriptors(options.allowCredentials);
      const used = await navigator.credentials.get({ publicKey: options });
      const response = used.response;
      const credential = {
        id: used.id,
        rawId: toText(used.rawId),
        type: used.type,
        authenticatorAttachment: used.authenticatorAttachment || null,
        clientExtensionResults: used.getClientExtensionResults ? used.getClientExtensionResults() : {},
        response: {
          clientDataJSON: toText(response.clientDataJSON),
          authenticatorData: toText(response.authenticatorData),
          signature: toText(response.signature),
          userHandle: toText(response.userHandle),
        },
      };
      return { ok: true, credential: JSON.stringify(credential) };
    } catch (error) {
      return { ok: false, reason: reason(error, false) };
    }
  };

  window.portalPasskeys = Object.freeze({ create, get, supported });
})();
