/*
 * The reply form (data-controller="bc-composer"): replies and internal notes over
 * the socket (HTTP when it is down), an outbox that survives a reload of the tab,
 * the typing indicator towards others and the canned answers button.
 */
import { Outbox } from "../lib/outbox.js";
import { format, loadStored, saveStored, uuid4 } from "../lib/util.js";
import { openDialog, postJson } from "../lib/shortcuts.js";

const TYPING_REPEAT_MS = 3000; // resend "typing" while the case worker keeps typing
const TYPING_IDLE_MS = 4000; // then "stopped typing"

export function composerController(Controller) {
  return class ComposerController extends Controller {
    static values = { failed: String, empty: String };
    static targets = ["error", "cannedButton"];
    static outlets = ["bc-conversation", "bc-thread"];

    connect() {
      this.textarea = this.element.querySelector("textarea");
      this.typingSentAt = 0;
      this.typingIdleTimer = null;
      this.applyKind();
      this.textarea.addEventListener("input", () => this.typed());
      this.textarea.addEventListener("keydown", (event) => this.onTextKey(event));
      // Unsent replies and notes survive a reload of the page (sessionStorage, this tab only).
      this.outboxKey = "buergerchat.staff.outbox." + this.bcConversationOutlet.idValue;
      this.outbox = new Outbox(() => saveStored("sessionStorage", this.outboxKey, this.outbox.items));
      (loadStored("sessionStorage", this.outboxKey) || []).forEach((item) => this.addPending(item.client_id, item.body, item.kind));
    }

    disconnect() {
      window.clearTimeout(this.typingIdleTimer);
      this.outbox.stop();
    }

    get conversation() {
      return this.bcConversationOutlet;
    }

    get csrfToken() {
      return this.element.querySelector("[name=csrfmiddlewaretoken]").value;
    }

    hide() {
      this.element.hidden = true;
    }

    showError(text) {
      this.errorTarget.textContent = text;
    }

    /* ---- reply or internal note ---- */

    get kind() {
      const checked = this.element.querySelector("input[name=kind]:checked");
      return checked ? checked.value : "reply";
    }

    /** The r and i shortcuts: choose the kind and go to the text. */
    focusKind(kind) {
      const radio = this.element.querySelector('input[name=kind][value="' + kind + '"]');
      if (kind === "note" && !radio) {
        return false;
      }
      if (radio) {
        radio.checked = true;
      }
      this.applyKind();
      this.textarea.focus();
      return true;
    }

    changeKind() {
      this.applyKind();
    }

    applyKind() {
      this.element.classList.toggle("bc-reply--note", this.kind === "note");
    }

    /* ---- sending, with the outbox ---- */

    send(event) {
      const clientInput = this.element.querySelector("input[name=client_id]");
      const body = this.textarea.value.trim();
      event.preventDefault();
      if (!body) {
        this.errorTarget.textContent = this.emptyValue;
        this.textarea.setAttribute("aria-invalid", "true");
        this.textarea.focus();
        return;
      }
      this.textarea.removeAttribute("aria-invalid");
      this.errorTarget.textContent = "";
      const kind = this.kind;
      const clientId = clientInput.value;
      this.addPending(clientId, body, kind);
      this.textarea.value = "";
      clientInput.value = uuid4();
      this.stopTyping();
      this.deliver(clientId, body, kind);
    }

    addPending(clientId, body, kind) {
      kind = kind === "note" ? "note" : "reply";
      this.bcThreadOutlet.addPending(clientId, body, kind);
      this.outbox.add({ client_id: clientId, body: body, kind: kind });
    }

    /** The server stored a message: if it is ours, it leaves the outbox. */
    confirmed(clientId) {
      if (this.outbox.remove(clientId)) {
        this.outbox.delivered();
      }
    }

    /** An error frame about one of ours: true if it was handled here. */
    failed(frame) {
      if (!frame.ref || !this.outbox.find(frame.ref)) {
        return false;
      }
      if (frame.code === "unavailable" || frame.code === "server_error") {
        this.outbox.retryLater(() => this.resendPending()); // stays pending and is sent again
        return true;
      }
      this.bcThreadOutlet.failPending(frame.ref, this.failedValue + " " + frame.detail);
      this.outbox.remove(frame.ref);
      this.errorTarget.textContent = frame.detail;
      return true;
    }

    deliver(clientId, body, kind) {
      const type = kind === "note" ? "note" : "message";
      if (!this.conversation.send({ type: type, client_id: clientId, body: body })) {
        this.postHttp(clientId, body, kind);
      }
    }

    resendPending() {
      this.outbox.items.slice().forEach((item) => this.deliver(item.client_id, item.body, item.kind));
    }

    postHttp(clientId, body, kind) {
      const data = new FormData(this.element);
      data.set("client_id", clientId);
      data.set("body", body);
      data.set("kind", kind);
      postJson(this.element.action, data)
        .then((frame) => {
          if (frame.type === "error" && !frame.ref) {
            frame.ref = clientId;
          }
          this.conversation.receive(frame);
        })
        .catch(() => this.outbox.retryLater(() => this.resendPending()));
    }

    /* ---- keys in the text field ---- */

    onTextKey(event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.element.requestSubmit();
      } else if (event.key === "." && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.openCanned();
      } else if (event.key === "Escape" && !openDialog()) {
        this.textarea.blur();
      }
    }

    /* ---- canned answers (the picker is bc-canned, in a dialog) ---- */

    openCanned() {
      if (this.hasCannedButtonTarget) {
        this.cannedButtonTarget.click();
      }
    }

    /** bc-canned:insert — put the chosen text at the cursor. */
    insert(event) {
      const { text, missing } = event.detail;
      const textarea = this.textarea;
      const start = textarea.selectionStart || 0;
      const end = textarea.selectionEnd || 0;
      textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
      window.setTimeout(() => {
        textarea.focus();
        textarea.setSelectionRange(start + text.length, start + text.length);
      }, 0);
      if (missing) {
        const names = missing
          .split(", ")
          .map((name) => "{" + name + "}")
          .join(", ");
        this.errorTarget.textContent = format(this.conversation.strings.missing, { names: names });
      } else {
        this.errorTarget.textContent = "";
        this.conversation.say(this.conversation.strings.inserted);
      }
      this.typed();
    }

    /* ---- typing towards the others ---- */

    typed() {
      const now = Date.now();
      if (now - this.typingSentAt > TYPING_REPEAT_MS) {
        this.typingSentAt = now;
        this.conversation.send({ type: "typing", active: true, note: this.kind === "note" });
      }
      window.clearTimeout(this.typingIdleTimer);
      this.typingIdleTimer = window.setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
    }

    stopTyping() {
      window.clearTimeout(this.typingIdleTimer);
      if (this.typingSentAt) {
        this.typingSentAt = 0;
        this.conversation.send({ type: "typing", active: false, note: this.kind === "note" });
      }
    }
  };
}
