/*
 * Bürgerchat chat button ("launcher"): a disclosure button that opens the chat panel.
 * Opening moves the focus into the panel (first form field, else the heading);
 * Escape or the close button close it and return the focus to the button. The panel
 * is not modal: Tab leaves it like any other part of the page (no keyboard trap).
 * An ES module, no inline code (CSP). The chat itself is widget.js.
 */
import { onReady } from "./lib/util.js";

const FIELDS =
  "[data-bc-start] select, [data-bc-start] textarea, [data-bc-start] input:not([type=hidden]), [data-bc-input]";

function visible(element) {
  return !element.disabled && !element.closest("[hidden]") && element.getClientRects().length > 0;
}

function Launcher(root) {
  this.root = root;
  this.button = root.querySelector("[data-bc-launcher-button]");
  this.panel = root.querySelector("[data-bc-launcher-panel]");
  this.closeButton = root.querySelector("[data-bc-launcher-close]");
  this.button.addEventListener("click", this.toggle.bind(this));
  this.closeButton.addEventListener("click", this.close.bind(this));
  this.panel.addEventListener("keydown", this.onKeydown.bind(this));
  this.button.addEventListener("keydown", this.onKeydown.bind(this));
}

Launcher.prototype.isOpen = function () {
  return !this.panel.hidden;
};

Launcher.prototype.toggle = function () {
  if (this.isOpen()) {
    this.close();
  } else {
    this.open();
  }
};

Launcher.prototype.open = function () {
  this.panel.hidden = false;
  this.button.setAttribute("aria-expanded", "true");
  this.root.classList.add("bc-launcher--open");
  this.focusInside();
};

/* The first field of the start form, or the message box of a running chat, else the heading. */
Launcher.prototype.focusInside = function () {
  var widget = this.panel.querySelector("[data-bc-widget]") || this.panel;
  var fields = widget.querySelectorAll(FIELDS);
  var target = Array.prototype.find.call(fields, visible);
  if (!target) {
    target = widget.querySelector(".bc-widget__heading") || widget;
    target.setAttribute("tabindex", "-1");
  }
  target.focus();
};

Launcher.prototype.close = function () {
  if (!this.isOpen()) {
    return;
  }
  this.panel.hidden = true;
  this.button.setAttribute("aria-expanded", "false");
  this.root.classList.remove("bc-launcher--open");
  this.button.focus();
};

Launcher.prototype.onKeydown = function (event) {
  if (event.key === "Escape" && this.isOpen()) {
    event.preventDefault();
    event.stopPropagation();
    this.close();
  }
};

onReady(() => {
  document.querySelectorAll("[data-bc-launcher]").forEach((root) => {
    if (!root.buergerchatLauncher) {
      root.buergerchatLauncher = new Launcher(root);
    }
  });
});
