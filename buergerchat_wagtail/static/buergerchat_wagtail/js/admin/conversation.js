/*
 * One conversation (data-controller="bc-conversation"): the connection. It
 * subscribes to the conversation on the page's staff socket (HTTP polling when
 * no socket can be opened), routes frames to its outlets (bc-thread, bc-composer,
 * bc-actions, bc-upload), sends read receipts and handles the keyboard shortcuts.
 */
import { staffSocket } from "../lib/socket.js";
import { format } from "../lib/util.js";
import { onHelpKey, openDialog, shortcutKey } from "../lib/shortcuts.js";

const POLL_INTERVAL_MS = 4000;
const READ_DELAY_MS = 400;
const JSON_HEADERS = { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" };

export function conversationController(Controller) {
  return class ConversationController extends Controller {
    static values = {
      socket: String,
      id: Number,
      lastId: Number,
      messagesUrl: String,
      readUrl: String,
      indexUrl: String,
      resync: { type: Number, default: 15 },
      offline: String,
      online: String,
      deleted: String,
    };
    static targets = ["status", "notice", "strings", "next", "help", "typing"];
    static outlets = ["bc-thread", "bc-composer", "bc-actions", "bc-upload"];

    connect() {
      this.strings = this.stringsTarget.dataset;
      this.pollTimer = null;
      this.readSent = 0;
      this.readTimer = null;
      this.lostAccess = false;
      this.subscribed = false;
      this.onKey = this.onKey.bind(this);
      this.onVisible = this.onVisible.bind(this);
      window.addEventListener("keydown", onHelpKey, true);
      document.addEventListener("keydown", this.onKey);
      document.addEventListener("visibilitychange", this.onVisible);
      this.socket = staffSocket(this.socketValue);
      this.unsubscribe = this.socket.subscribe({
        open: (reconnect) => {
          this.subscribed = false;
          this.stopPolling();
          this.send({ type: "subscribe", after: this.lastIdValue });
          if (reconnect) {
            this.statusTarget.textContent = this.onlineValue;
          }
        },
        close: (opened, failures) => {
          delete this.element.dataset.bcReady;
          this.statusTarget.textContent = this.offlineValue;
          if (!opened && failures >= 2) {
            this.startPolling();
          }
        },
        frame: (frame) => this.receive(frame),
      });
      // The database is the truth: ask it for anything a dropped event missed.
      this.resyncTimer = window.setInterval(() => {
        if (this.subscribed) {
          this.send({ type: "sync", after: this.lastIdValue });
        }
        this.composer((composer) => composer.resendPending());
      }, this.resyncValue * 1000);
      // The outlets connect after this controller: read once they are there.
      window.setTimeout(() => this.markRead(), 0);
    }

    disconnect() {
      this.unsubscribe();
      this.stopPolling();
      window.removeEventListener("keydown", onHelpKey, true);
      document.removeEventListener("keydown", this.onKey);
      document.removeEventListener("visibilitychange", this.onVisible);
      window.clearTimeout(this.readTimer);
      window.clearInterval(this.resyncTimer);
    }

    composer(callback) {
      if (this.hasBcComposerOutlet) {
        callback(this.bcComposerOutlet);
      }
    }

    /** Send a frame of this conversation; false when the socket is down. */
    send(frame) {
      return this.socket.send(Object.assign({ conversation: this.idValue }, frame));
    }

    say(text) {
      this.statusTarget.textContent = text;
    }

    /* ---- frames, from the socket or from an HTTP answer ---- */

    receive(frame) {
      if (typeof frame.conversation === "number" && frame.conversation !== this.idValue) {
        return;
      }
      switch (frame.type) {
        case "ready":
          this.subscribed = true;
          this.element.dataset.bcReady = "";
          this.updateMeta(frame.conversation);
          this.addMessages(frame.messages);
          this.composer((composer) => composer.resendPending());
          break;
        case "messages":
          this.addMessages(frame.messages);
          this.composer((composer) => composer.resendPending());
          break;
        case "message":
        case "ack":
          this.addMessages([frame.message]);
          this.bcThreadOutlet.stopTyper(frame.message.sender, frame.message.author);
          break;
        case "conversation":
          if (frame.conversation.id === this.idValue) {
            this.updateMeta(frame.conversation);
          }
          break;
        case "done":
          this.bcActionsOutlet.done(frame);
          break;
        case "read":
          if (frame.reader === "citizen") {
            this.bcThreadOutlet.citizenRead(frame.up_to);
          }
          break;
        case "typing":
          this.bcThreadOutlet.showTyping(frame);
          break;
        case "transferred":
          this.addMessages([frame.message]);
          this.transferred(frame.to_department.name, frame.access);
          break;
        case "attachment":
          this.bcThreadOutlet.updateAttachment(frame.message, frame.attachment);
          break;
        case "error":
          this.onError(frame);
          break;
        case "deleted":
          this.say(this.deletedValue);
          this.composer((composer) => composer.hide());
          break;
        default:
          break;
      }
    }

    addMessages(messages) {
      messages.forEach((message) => {
        this.lastIdValue = Math.max(this.lastIdValue, message.id);
        this.bcThreadOutlet.addMessage(message);
        this.composer((composer) => composer.confirmed(message.client_id));
      });
      this.scheduleRead();
    }

    updateMeta(conversation) {
      this.bcActionsOutlet.updateMeta(conversation);
      if (typeof conversation.read_by_citizen_up_to === "number") {
        this.bcThreadOutlet.citizenRead(conversation.read_by_citizen_up_to);
      }
    }

    onError(frame) {
      if (this.hasBcComposerOutlet && this.bcComposerOutlet.failed(frame)) {
        return;
      }
      const retryable = frame.code === "unavailable" || frame.code === "server_error";
      if (retryable && !this.subscribed && this.socket.open) {
        this.socket.reconnect(); // reconnect with backoff and subscribe again
        return;
      }
      if (this.bcActionsOutlet.failed(frame)) {
        return;
      }
      if (this.hasBcComposerOutlet) {
        this.bcComposerOutlet.showError(frame.detail);
      } else {
        this.say(frame.detail);
      }
    }

    /* The conversation moved to another department. Who lost access can no longer act. */
    transferred(department, access, options) {
      const template = access ? this.strings.transferred : this.strings.transferredAway;
      this.noticeTarget.textContent = format(template, { department: department });
      if (access) {
        return;
      }
      this.lostAccess = true;
      this.subscribed = false; // no more syncs of a conversation this user may not open
      this.composer((composer) => {
        composer.stopTyping();
        composer.hide();
      });
      if (this.hasBcUploadOutlet) {
        this.bcUploadOutlet.element.hidden = true;
      }
      this.bcActionsOutlet.element.hidden = true;
      if (!options || options.unsubscribe !== false) {
        this.send({ type: "unsubscribe" });
      }
    }

    /* ---- read receipts: tell the server what this case worker has seen ---- */

    onVisible() {
      if (document.visibilityState === "visible") {
        this.scheduleRead();
      }
    }

    scheduleRead() {
      window.clearTimeout(this.readTimer);
      this.readTimer = window.setTimeout(() => this.markRead(), READ_DELAY_MS);
    }

    markRead() {
      if (this.lostAccess || document.visibilityState !== "visible" || this.lastIdValue <= this.readSent) {
        return;
      }
      const upTo = this.lastIdValue;
      this.readSent = upTo;
      if (!this.send({ type: "read", up_to: upTo }) && this.hasBcComposerOutlet) {
        const data = new FormData();
        data.set("csrfmiddlewaretoken", this.bcComposerOutlet.csrfToken);
        data.set("up_to", String(upTo));
        fetch(this.readUrlValue, { method: "POST", body: data, credentials: "same-origin" }).catch(() => {});
      }
    }

    /* ---- keyboard ---- */

    onKey(event) {
      const composer = this.hasBcComposerOutlet && !this.lostAccess ? this.bcComposerOutlet : null;
      if (event.key === "." && (event.ctrlKey || event.metaKey) && !openDialog() && composer) {
        event.preventDefault();
        composer.openCanned();
        return;
      }
      const key = shortcutKey(event);
      if (!key || (this.lostAccess && key !== "n" && key !== "u")) {
        return;
      }
      let handled = true;
      if ((key === "r" || key === "i") && composer) {
        handled = composer.focusKind(key === "r" ? "reply" : "note");
      } else if (key === "n") {
        this.nextTarget.click();
      } else if (key === "t" || key === "C") {
        handled = this.bcActionsOutlet.shortcut(key);
      } else if (key === "u") {
        window.location.assign(this.indexUrlValue);
      } else {
        handled = false;
      }
      if (handled) {
        event.preventDefault();
      }
    }

    /* ---- HTTP polling when no socket can be opened ---- */

    startPolling() {
      if (this.pollTimer) {
        return;
      }
      this.pollTimer = window.setInterval(() => {
        fetch(this.messagesUrlValue + "?after=" + this.lastIdValue, { credentials: "same-origin", headers: JSON_HEADERS })
          .then((response) => (response.ok ? response.json() : null))
          .then((frame) => frame && this.receive(frame))
          .catch(() => {});
      }, POLL_INTERVAL_MS);
    }

    stopPolling() {
      window.clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
  };
}
