/*
 * Keyboard and dialogs in the admin: one-key shortcuts follow the user's Wagtail
 * setting (WCAG 2.1.4); "?" opens the Bürgerchat shortcuts dialog.
 */

function oneKeyShortcutsEnabled() {
  try {
    const config = JSON.parse(document.getElementById("wagtail-config").textContent);
    return config.KEYBOARD_SHORTCUTS_ENABLED !== false;
  } catch (e) {
    return true;
  }
}

function isEditable(element) {
  return (
    element &&
    (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName) || element.closest("[role=listbox]"))
  );
}

export function openDialog() {
  return document.querySelector(".w-dialog:not([aria-hidden=true])");
}

/** The key of a one-key shortcut, or null (typing in a field, a modifier, a dialog open, switched off). */
export function shortcutKey(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isEditable(event.target)) {
    return null;
  }
  if (openDialog() || !oneKeyShortcutsEnabled()) {
    return null;
  }
  return event.key;
}

/** Show one of our Wagtail dialogs (the {% dialog %} component) by its id. */
export function showDialog(id) {
  const dialog = document.getElementById(id);
  if (dialog) {
    dialog.dispatchEvent(new CustomEvent("w-dialog:show"));
  }
}

export function hideDialog(id) {
  const dialog = document.getElementById(id);
  if (dialog) {
    dialog.dispatchEvent(new CustomEvent("w-dialog:hide"));
  }
}

/* "?" opens the Bürgerchat shortcuts; its dialog links to Wagtail's own list. */
export function onHelpKey(event) {
  if (event.key === "?" && shortcutKey(event) === "?") {
    event.preventDefault();
    event.stopImmediatePropagation();
    showDialog("bc-shortcuts-dialog");
  }
}

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-bc-wagtail-shortcuts]")) {
    hideDialog("bc-shortcuts-dialog");
    showDialog("keyboard-shortcuts-dialog");
  }
});

/** Swap a listing's HTML and keep the keyboard focus on the same link. */
export function refreshFragment(url, apply) {
  return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
    .then((response) => (response.ok ? response.text() : null))
    .then((html) => html !== null && apply(html))
    .catch(() => {});
}

/** POST to an admin URL and get the JSON answer (a frame). */
export function postJson(url, data) {
  return fetch(url, {
    method: "POST",
    body: data,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
  }).then((response) => response.json());
}
