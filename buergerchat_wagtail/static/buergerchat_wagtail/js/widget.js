/*
 * Bürgerchat citizen widget. ES modules, no build step, no inline code (CSP).
 *
 * Nothing is stored in the browser before the citizen submits the start form
 * ("Chat starten"): only then the conversation secret is kept in localStorage.
 * The secret travels in the first socket frame or in the X-Buergerchat-Secret
 * header, never in a URL. Protocol: docs/protocol.md.
 */
import { ChatWidget } from "./widget/chat.js";
import { onReady } from "./lib/util.js";

onReady(() => {
  document.querySelectorAll("[data-bc-widget]").forEach((root) => {
    if (!root.buergerchat) {
      root.buergerchat = new ChatWidget(root);
    }
  });
});
