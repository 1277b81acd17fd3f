/*
 * The citizen widget: sending with the outbox, errors, the socket, resync and the HTTP fallback.
 */
import { PROTOCOL, ReconnectingSocket } from "../lib/socket.js";
import { fieldError, uuid4 } from "../lib/util.js";

export const SECRET_HEADER = "X-Buergerchat-Secret";
export const RETRYABLE = { unavailable: true, server_error: true };
const POLL_INTERVAL_MS = 4000;

export function installTransport(ChatWidget) {
  /* ---- sending ---- */

  ChatWidget.prototype.onInputKeydown = function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      this.sendForm.requestSubmit();
    }
  };

  ChatWidget.prototype.setSendError = function (text) {
    fieldError(this.input, this.sendError, text);
  };

  ChatWidget.prototype.onSendSubmit = function (event) {
    event.preventDefault();
    var body = this.input.value.trim();
    if (!body) {
      this.setSendError(this.strings.empty);
      this.input.focus();
      return;
    }
    if (body.length > this.maxLength) {
      this.setSendError(this.strings.tooLong);
      this.input.focus();
      return;
    }
    this.setSendError("");
    var item = { client_id: uuid4(), body: body };
    this.outbox.add(item);
    this.renderPending(item);
    this.input.value = "";
    this.stopTyping();
    this.deliver(item);
  };

  ChatWidget.prototype.deliver = function (item) {
    if (this.ready) {
      this.socket.send({ type: "message", client_id: item.client_id, body: item.body });
    } else if (this.pollTimer) {
      this.postHttp(item);
    } else {
      var node = this.nodes.get(item.client_id);
      if (node) {
        this.markState(node, this.strings.queued, "queued");
        node.classList.add("bc-message--pending");
      }
    }
  };

  ChatWidget.prototype.flushOutbox = function () {
    this.outbox.items.slice().forEach(this.deliver, this);
  };

  ChatWidget.prototype.onAck = function (frame) {
    this.outbox.delivered();
    this.addMessage(frame.message);
  };

  ChatWidget.prototype.onError = function (frame) {
    var node = frame.ref ? this.nodes.get(frame.ref) : null;
    if (frame.code === "not_closed" || frame.code === "already_rated" || (frame.field === "comment" && !node)) {
      this.ratingError.textContent = frame.detail;
      return;
    }
    if (node && node.dataset.state !== "sent") {
      if (RETRYABLE[frame.code]) {
        // Not stored: keep it in the outbox and try again a little later.
        this.markState(node, this.strings.queued, "queued");
        node.classList.add("bc-message--pending");
        this.scheduleRetry();
        return;
      }
      if (frame.code === "conversation_closed") {
        var item = this.outbox.find(frame.ref);
        this.refusedText = item ? item.body : "";
        if (this.state) {
          this.state = Object.assign({}, this.state, { status: "closed", accepts_messages: false, reopen_until: null });
          this.renderClosed();
        }
      }
      this.outbox.remove(frame.ref);
      this.markState(node, this.strings.failed + " " + frame.detail, "failed");
      this.setSendError(frame.detail);
      return;
    }
    if (frame.code === "auth_failed") {
      if (this.resuming) {
        this.resumeFailed();
      } else {
        this.sessionLost();
      }
      return;
    }
    if (RETRYABLE[frame.code] && !this.ready && this.socket.connected) {
      // The server could not load the conversation: reconnect with backoff.
      this.announce(frame.detail, "chat");
      this.socket.close();
      return;
    }
    this.alert(frame.detail);
  };

  ChatWidget.prototype.scheduleRetry = function () {
    this.outbox.retryLater(this.flushOutbox.bind(this));
  };

  ChatWidget.prototype.sessionLost = function () {
    this.endSession();
    this.alert(this.strings.sessionLost);
  };

  /* ---- WebSocket ---- */

  ChatWidget.prototype.createSocket = function () {
    var self = this;
    return new ReconnectingSocket(this.root.dataset.bcSocketPath, {
      open: function () {
        self.socket.send({ type: "auth", secret: self.secret, after: self.lastId });
      },
      frame: function (frame) {
        self.onFrame(frame);
      },
      closed: function (event) {
        self.ready = false;
        delete self.root.dataset.bcReady;
        if (!self.secret) {
          return false;
        }
        if (event.code === 4429) {
          self.sessionLost();
          return false;
        }
        return true;
      },
      retry: function (opened, failures) {
        if (!opened && failures >= 2) {
          self.startPolling();
        } else if (!self.pollTimer) {
          self.announce(self.strings.offline, "chat");
        }
      },
      unavailable: function () {
        self.startPolling();
      },
    });
  };

  ChatWidget.prototype.connect = function () {
    if (!this.secret) {
      return;
    }
    if (!("WebSocket" in window)) {
      this.startPolling();
      return;
    }
    this.socket.start();
  };

  /* Periodic resync: the channel layer may drop events (or forget groups after a
     Redis restart); the database is the truth, so ask it for anything newer. */
  ChatWidget.prototype.startResync = function () {
    var self = this;
    if (this.resyncTimer) {
      return;
    }
    this.resyncTimer = window.setInterval(function () {
      if (self.ready) {
        self.socket.send({ type: "sync", after: self.lastId });
      }
      if (self.outbox.size) {
        self.flushOutbox();
      }
    }, this.resyncMs);
  };

  /* ---- HTTP fallback ---- */

  ChatWidget.prototype.httpHeaders = function (json) {
    var headers = { Accept: "application/json" };
    headers[SECRET_HEADER] = this.secret;
    if (json) {
      headers["Content-Type"] = "application/json";
    }
    return headers;
  };

  ChatWidget.prototype.startPolling = function () {
    if (this.pollTimer || !this.secret) {
      return;
    }
    this.announce(this.strings.fallback, "chat");
    this.poll(true);
    this.pollTimer = window.setInterval(this.poll.bind(this, false), POLL_INTERVAL_MS);
  };

  ChatWidget.prototype.stopPolling = function () {
    if (this.pollTimer) {
      window.clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
  };

  ChatWidget.prototype.poll = function (first) {
    var self = this;
    // The conversation URL also brings the state (closed, read receipts) along.
    var url = this.root.dataset.bcConversationUrl;
    this.fetchWithSecret(url + "?after=" + this.lastId)
      .then(function (response) {
        if (response.status === 401) {
          if (self.resuming) {
            self.resumeFailed();
          } else {
            self.sessionLost();
          }
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (frame) {
        if (frame) {
          self.onFrame(frame.type === "ready" ? { type: "messages", messages: frame.messages } : frame);
          if (frame.conversation) {
            self.renderConversation(frame.conversation);
          }
          if (first) {
            self.flushOutbox();
          }
        }
      })
      .catch(function () {
        /* next poll tries again */
      });
  };

  /** GET with the secret in a header (never in the URL). */
  ChatWidget.prototype.fetchWithSecret = function (url) {
    return fetch(url, { credentials: "omit", headers: this.httpHeaders(false) });
  };

  /** POST a frame as JSON (the secret in a header); the answer is a frame. */
  ChatWidget.prototype.postFrame = function (url, frame) {
    return fetch(url, {
      method: "POST",
      credentials: "omit",
      headers: this.httpHeaders(true),
      body: JSON.stringify(frame),
    }).then(function (response) {
      return response.json();
    });
  };

  /** Over the socket when it is ready, else over HTTP; `failed` when neither works. */
  ChatWidget.prototype.sendOrPost = function (frame, url, failed) {
    if (this.ready) {
      this.socket.send(frame);
      return;
    }
    this.postFrame(url, frame).then(this.onFrame.bind(this)).catch(failed);
  };

  ChatWidget.prototype.postHttp = function (item) {
    var self = this;
    this.postFrame(this.root.dataset.bcMessagesUrl, { v: PROTOCOL, type: "message", client_id: item.client_id, body: item.body })
      .then(function (frame) {
        if (frame.type === "error" && !frame.ref) {
          frame.ref = item.client_id;
        }
        self.onFrame(frame);
      })
      .catch(function () {
        var node = self.nodes.get(item.client_id);
        if (node) {
          self.markState(node, self.strings.queued, "queued");
        }
        self.scheduleRetry();
      });
  };
}
