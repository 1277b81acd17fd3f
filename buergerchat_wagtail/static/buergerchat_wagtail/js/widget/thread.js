/*
 * The citizen widget: the conversation and its messages, read receipts, typing and the rating.
 */
import { renderBody } from "../lib/format.js";
import { PROTOCOL } from "../lib/socket.js";
import { format, formatTime, htmlDateTime } from "../lib/util.js";

const TYPING_REPEAT_MS = 3000;
const TYPING_IDLE_MS = 4000;
const TYPING_SHOWN_MS = 6000;
const READ_DELAY_MS = 400;

export function installThread(ChatWidget) {
  /* ---- rendering ---- */

  ChatWidget.prototype.renderConversation = function (conversation) {
    if (!conversation) {
      return;
    }
    this.root.querySelector("[data-bc-subject]").textContent = conversation.subject;
    this.root.querySelector("[data-bc-reference]").textContent = conversation.reference;
    var greeting = this.root.querySelector("[data-bc-greeting]");
    // An editor's greeting for this chat block replaces the department's greeting.
    var greetingText = this.root.dataset.bcGreetingOverride || conversation.greeting || "";
    greeting.textContent = greetingText;
    greeting.hidden = !greetingText;
    this.state = conversation;
    this.idleFromConversation(conversation);
    if (typeof conversation.read_by_staff_up_to === "number") {
      this.staffRead = Math.max(this.staffRead, conversation.read_by_staff_up_to);
      this.showReadReceipts();
    }
    this.renderClosed();
  };

  /* Closed: say so, offer the rating, and say whether writing reopens it. */
  ChatWidget.prototype.renderClosed = function () {
    var state = this.state;
    var closed = Boolean(state && state.status === "closed");
    this.closedBox.hidden = !closed;
    this.sendForm.hidden = closed && state.accepts_messages === false;
    if (this.uploadForm) {
      this.uploadForm.hidden = this.sendForm.hidden;
    }
    if (!closed) {
      return;
    }
    // The thread already says "This conversation has been closed." (a system message):
    // the box below adds only what follows from it, so the sentence appears once.
    var parts = this.list.querySelector('[data-event="closed"]') ? [] : [this.strings.closed];
    if (state.accepts_messages && state.reopen_until) {
      parts.push(format(this.strings.reopenUntil, { date: this.timeFormat.format(new Date(state.reopen_until)) }));
    } else if (!state.accepts_messages) {
      parts.push(this.strings.startNew);
    }
    this.closedText.textContent = parts.join(" ");
    this.closedText.hidden = !parts.length;
    this.ratingForm.hidden = !state.can_rate;
    this.ratingThanks.hidden = state.can_rate || !state.rating;
  };

  ChatWidget.prototype.startNew = function () {
    this.endSession();
  };

  ChatWidget.prototype.buildNode = function (clientId) {
    var node = this.template.content.firstElementChild.cloneNode(true);
    node.dataset.clientId = clientId;
    this.nodes.set(clientId, node);
    return node;
  };

  ChatWidget.prototype.fillNode = function (node, message) {
    node.dataset.id = message.id;
    node.dataset.sender = message.sender;
    if (message.event) {
      node.dataset.event = message.event;
    }
    node.classList.add("bc-message--" + message.sender);
    node.querySelector("[data-bc-author]").textContent = message.author;
    var time = node.querySelector("[data-bc-time]");
    if (time.tagName !== "TIME") {
      // The template holds a placeholder: an empty <time> would not be valid HTML.
      var placeholder = time;
      time = document.createElement("time");
      time.className = placeholder.className;
      time.setAttribute("data-bc-time", "");
      placeholder.replaceWith(time);
    }
    time.dateTime = htmlDateTime(message.created_at);
    time.textContent = formatTime(this.timeFormat, message.created_at);
    renderBody(node.querySelector("[data-bc-body]"), message.blocks, message.body);
    this.renderAttachment(node, message.attachment);
  };

  ChatWidget.prototype.insertInOrder = function (node, id) {
    var children = this.list.children;
    for (var i = children.length - 1; i >= 0; i--) {
      var otherId = parseInt(children[i].dataset.id || "0", 10);
      if (otherId && otherId < id) {
        children[i].after(node);
        return;
      }
    }
    var firstStored = Array.prototype.find.call(children, function (child) {
      return child.dataset.id;
    });
    if (firstStored) {
      this.list.insertBefore(node, firstStored);
    } else {
      this.list.prepend(node);
    }
  };

  ChatWidget.prototype.addMessage = function (message) {
    if (this.seenIds.has(message.id)) {
      return;
    }
    this.seenIds.add(message.id);
    this.lastId = Math.max(this.lastId, message.id);
    var node = this.nodes.get(message.client_id);
    if (node) {
      // our own pending message, confirmed by the server
      this.fillNode(node, message);
      this.markState(node, this.strings.sent, "sent");
      this.outbox.remove(message.client_id);
      node.remove();
    } else {
      node = this.buildNode(message.client_id);
      this.fillNode(node, message);
      if (message.sender === "citizen") {
        this.markState(node, this.strings.sent, "sent");
      }
    }
    this.insertInOrder(node, message.id);
    this.list.scrollTop = this.list.scrollHeight;
    if (message.event === "closed" && this.state) {
      this.renderClosed(); // the thread now says it: the box below does not repeat it
    }
    this.idleFromMessage(message);
    if (message.sender !== "citizen") {
      this.hideTyping();
      this.scheduleRead();
    }
    this.showReadReceipts();
  };

  /* ---- read receipts, both ways ---- */

  ChatWidget.prototype.showReadReceipts = function () {
    var self = this;
    this.list.querySelectorAll("[data-sender=citizen][data-state=sent]:not([data-bc-read])").forEach(function (node) {
      var id = parseInt(node.dataset.id || "0", 10);
      if (id && id <= self.staffRead) {
        node.dataset.bcRead = "";
        node.querySelector("[data-bc-state]").textContent = self.strings.sent + " · " + self.strings.read;
      }
    });
  };

  ChatWidget.prototype.scheduleRead = function () {
    window.clearTimeout(this.readTimer);
    this.readTimer = window.setTimeout(this.markRead.bind(this), READ_DELAY_MS);
  };

  ChatWidget.prototype.markRead = function () {
    if (!this.secret || document.visibilityState !== "visible" || this.chatBox.hidden || this.lastId <= this.readSent) {
      return;
    }
    this.readSent = this.lastId;
    var frame = { v: PROTOCOL, type: "read", up_to: this.lastId };
    if (this.ready) {
      this.socket.send(frame);
    } else if (this.pollTimer) {
      this.postFrame(this.root.dataset.bcReadUrl, frame).catch(function () {});
    }
  };

  /* ---- typing, both ways ---- */

  ChatWidget.prototype.onTyped = function () {
    if (!this.ready) {
      return;
    }
    var now = Date.now();
    if (now - this.typingSentAt > TYPING_REPEAT_MS) {
      this.typingSentAt = now;
      this.socket.send({ type: "typing", active: true });
    }
    window.clearTimeout(this.typingIdleTimer);
    this.typingIdleTimer = window.setTimeout(this.stopTyping.bind(this), TYPING_IDLE_MS);
  };

  ChatWidget.prototype.stopTyping = function () {
    window.clearTimeout(this.typingIdleTimer);
    if (this.typingSentAt && this.ready) {
      this.socket.send({ type: "typing", active: false });
    }
    this.typingSentAt = 0;
  };

  ChatWidget.prototype.showTyping = function (frame) {
    window.clearTimeout(this.typingShownTimer);
    if (!frame.active) {
      this.hideTyping();
      return;
    }
    var text = format(this.strings.typing, { name: frame.author });
    if (this.typingBox.textContent !== text) {
      this.typingBox.textContent = text;
    }
    this.typingShownTimer = window.setTimeout(this.hideTyping.bind(this), TYPING_SHOWN_MS);
  };

  ChatWidget.prototype.hideTyping = function () {
    window.clearTimeout(this.typingShownTimer);
    this.typingBox.textContent = "";
  };

  /* ---- satisfaction rating after closing ---- */

  ChatWidget.prototype.onRatingSubmit = function (event) {
    event.preventDefault();
    var chosen = this.ratingForm.querySelector("[data-bc-rating-score]:checked");
    if (!chosen) {
      this.ratingError.textContent = this.strings.ratingMissing;
      this.ratingForm.querySelector("[data-bc-rating-score]").focus();
      return;
    }
    this.ratingError.textContent = "";
    var frame = {
      v: PROTOCOL,
      type: "rate",
      score: parseInt(chosen.value, 10),
      comment: this.ratingForm.querySelector("[data-bc-rating-comment]").value,
    };
    var self = this;
    this.sendOrPost(frame, this.root.dataset.bcRatingUrl, function () {
      self.ratingError.textContent = self.strings.networkError;
    });
  };

  ChatWidget.prototype.onRated = function (frame) {
    this.renderConversation(frame.conversation);
    this.ratingThanks.hidden = false;
    this.ratingThanks.focus();
  };

  ChatWidget.prototype.addMessages = function (messages) {
    (messages || [])
      .slice()
      .sort(function (a, b) {
        return a.id - b.id;
      })
      .forEach(this.addMessage, this);
  };

  ChatWidget.prototype.renderPending = function (item) {
    var node = this.nodes.get(item.client_id) || this.buildNode(item.client_id);
    node.classList.add("bc-message--citizen", "bc-message--pending");
    node.querySelector("[data-bc-author]").textContent = this.strings.you;
    renderBody(node.querySelector("[data-bc-body]"), null, item.body);
    this.markState(node, this.strings.sending, "sending");
    this.list.appendChild(node);
    this.list.scrollTop = this.list.scrollHeight;
  };

  ChatWidget.prototype.markState = function (node, text, state) {
    node.dataset.state = state;
    if (state !== "sending") {
      node.classList.remove("bc-message--pending");
    }
    node.querySelector("[data-bc-state]").textContent = text;
  };
}
