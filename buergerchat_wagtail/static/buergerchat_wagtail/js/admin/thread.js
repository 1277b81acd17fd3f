/*
 * The messages of a conversation (data-controller="bc-thread"): renders new and
 * pending messages in order, attachments, the citizen's read receipts and who is
 * typing. Fed by bc-conversation (its outlet).
 */
import { renderBody } from "../lib/format.js";
import { attachmentMeta, dateTimeFormat, format, formatSize, formatTime, htmlDateTime } from "../lib/util.js";

const TYPING_SHOWN_MS = 6000; // a received indicator disappears without news

export function threadController(Controller) {
  return class ThreadController extends Controller {
    static values = { citizenRead: Number, sending: String };
    static targets = ["list", "template", "attachmentTemplate"];
    static outlets = ["bc-conversation"];

    connect() {
      this.seen = new Set(Array.from(this.listTarget.children).map((node) => parseInt(node.dataset.id, 10)));
      this.pending = new Map(); // client_id -> <li> not yet stored
      this.typers = new Map(); // who is typing -> {text, timer}
      this.timeFormat = dateTimeFormat();
      this.scrollToEnd();
    }

    disconnect() {
      this.typers.forEach((entry) => window.clearTimeout(entry.timer));
    }

    get strings() {
      return this.bcConversationOutlet.strings;
    }

    scrollToEnd() {
      this.listTarget.scrollTop = this.listTarget.scrollHeight;
    }

    buildNode(message) {
      const node = this.templateTarget.content.firstElementChild.cloneNode(true);
      node.classList.add("bc-thread__message--" + message.sender);
      node.dataset.clientId = message.client_id;
      node.dataset.sender = message.sender;
      if (message.internal) {
        node.classList.add("bc-thread__message--internal");
        node.dataset.internal = "";
        if (message.sender === "staff") {
          const flag = node.querySelector(".bc-thread__flag");
          flag.hidden = false;
          flag.querySelector("span").textContent = this.strings.note;
        }
      }
      node.querySelector(".bc-thread__author").textContent = message.author;
      renderBody(node.querySelector(".bc-thread__body"), message.blocks, message.body);
      if (message.attachment) {
        this.renderAttachment(node, message.attachment);
      }
      return node;
    }

    renderAttachment(node, attachment) {
      const old = node.querySelector(".bc-thread__attachment");
      if (old) {
        old.remove();
      }
      const box = this.attachmentTemplateTarget.content.firstElementChild.cloneNode(true);
      const link = box.querySelector("a");
      const name = box.querySelector(".bc-thread__attachment-name");
      const meta = box.querySelector(".bc-thread__attachment-meta");
      box.dataset.bcAttachmentId = attachment.id;
      box.dataset.status = attachment.status;
      if (attachment.status === "clean") {
        link.href = attachment.url;
        link.textContent = attachment.name;
        name.remove();
        meta.textContent = "(" + attachmentMeta(attachment) + ")";
      } else {
        link.remove();
      }
      if (attachment.status === "clean" && attachment.thumbnail) {
        // Same origin, the staff session's cookie: a plain <img> is enough.
        const image = document.createElement("img");
        image.className = "bc-thread__thumbnail";
        image.loading = "lazy";
        image.alt = attachment.name;
        image.width = attachment.thumbnail.width;
        image.height = attachment.thumbnail.height;
        image.src = attachment.thumbnail.url;
        box.prepend(image);
      }
      if (attachment.status !== "clean") {
        name.textContent = attachment.name;
        meta.textContent = "(" + formatSize(attachment.size) + ", " + attachment.status_label + ")";
      }
      node.appendChild(box);
    }

    updateAttachment(messageId, attachment) {
      const node = Array.from(this.listTarget.children).find((child) => parseInt(child.dataset.id, 10) === messageId);
      if (node) {
        this.renderAttachment(node, attachment);
      }
    }

    addMessage(message) {
      if (this.seen.has(message.id)) {
        return;
      }
      this.seen.add(message.id);
      const pending = this.pending.get(message.client_id);
      if (pending) {
        this.pending.delete(message.client_id);
        pending.remove();
      }
      const node = this.buildNode(message);
      node.dataset.id = message.id;
      // The template holds a placeholder: an empty <time> would not be valid HTML.
      const time = document.createElement("time");
      node.querySelector("[data-bc-time]").replaceWith(time);
      time.dateTime = htmlDateTime(message.created_at);
      time.textContent = formatTime(this.timeFormat, message.created_at);
      const after = Array.from(this.listTarget.children).find(
        (child) => child.dataset.id && parseInt(child.dataset.id, 10) > message.id
      );
      this.listTarget.insertBefore(node, after || this.firstPending());
      this.showReadReceipts();
      this.scrollToEnd();
    }

    firstPending() {
      return Array.from(this.listTarget.children).find((child) => !child.dataset.id) || null;
    }

    /* A reply or note that is not stored yet ("sending …"). */
    addPending(clientId, body, kind) {
      const node = this.buildNode({ client_id: clientId, body: body, sender: "staff", author: "", internal: kind === "note" });
      node.querySelector(".bc-thread__state").textContent = this.sendingValue;
      this.pending.set(clientId, node);
      this.listTarget.appendChild(node);
      this.scrollToEnd();
    }

    failPending(clientId, text) {
      const node = this.pending.get(clientId);
      if (node) {
        node.querySelector(".bc-thread__state").textContent = text;
        this.pending.delete(clientId);
      }
    }

    citizenRead(upTo) {
      this.citizenReadValue = Math.max(this.citizenReadValue, upTo);
      this.showReadReceipts();
    }

    showReadReceipts() {
      this.listTarget.querySelectorAll("[data-sender=staff]:not([data-internal])").forEach((node) => {
        const id = parseInt(node.dataset.id || "0", 10);
        if (id && id <= this.citizenReadValue) {
          node.querySelector(".bc-thread__state").textContent = this.strings.read;
        }
      });
    }

    /* ---- who is typing (the live region is the conversation's typing target) ---- */

    showTyping(frame) {
      const key = frame.sender + ":" + frame.author;
      const entry = this.typers.get(key);
      if (entry) {
        window.clearTimeout(entry.timer);
      }
      if (frame.active) {
        const template = frame.note ? this.strings.typingNote : this.strings.typing;
        this.typers.set(key, {
          text: format(template, { name: frame.author }),
          timer: window.setTimeout(() => this.stopTyper(frame.sender, frame.author), TYPING_SHOWN_MS),
        });
      } else {
        this.typers.delete(key);
      }
      this.renderTyping();
    }

    stopTyper(sender, author) {
      const key = sender + ":" + author;
      const entry = this.typers.get(key);
      if (entry) {
        window.clearTimeout(entry.timer);
        this.typers.delete(key);
        this.renderTyping();
      }
    }

    renderTyping() {
      const text = Array.from(this.typers.values())
        .map((entry) => entry.text)
        .join(" ");
      const box = this.bcConversationOutlet.typingTarget;
      if (box.textContent !== text) {
        box.textContent = text;
      }
    }
  };
}
