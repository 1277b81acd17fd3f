/*
 * Bürgerchat in the Wagtail admin: Stimulus controllers for the inbox and the
 * conversation view. Configuration comes from data- attributes (no inline
 * scripts, CSP-safe). Protocol: docs/protocol.md.
 */
(function () {
  "use strict";

  var PROTOCOL = 1;
  var POLL_INTERVAL_MS = 4000;

  function uuid4() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map
      .call(b, function (x) {
        return x.toString(16).padStart(2, "0");
      })
      .join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  /** A staff socket that reconnects with jittered backoff. */
  function StaffSocket(path, handlers) {
    this.path = path;
    this.handlers = handlers;
    this.failures = 0;
    this.closed = false;
    this.socket = null;
    this.open = false;
    this.connect();
  }

  StaffSocket.prototype.connect = function () {
    var self = this;
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var lang = encodeURIComponent(document.documentElement.lang || "");
    var opened = false;
    var socket = new WebSocket(scheme + "//" + window.location.host + this.path + "?lang=" + lang);
    this.socket = socket;
    socket.onopen = function () {
      opened = true;
      self.open = true;
      var reconnect = self.failures > 0;
      self.failures = 0;
      if (self.handlers.open) {
        self.handlers.open(reconnect);
      }
    };
    socket.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (self.handlers.frame) {
        self.handlers.frame(frame);
      }
    };
    socket.onclose = function (event) {
      self.open = false;
      if (self.closed || event.code === 4401 || event.code === 4403) {
        return;
      }
      self.failures += 1;
      if (self.handlers.close) {
        self.handlers.close(opened, self.failures);
      }
      var delay = Math.min(30000, 500 * Math.pow(2, self.failures)) * (0.5 + Math.random());
      self.timer = window.setTimeout(self.connect.bind(self), delay);
    };
  };

  StaffSocket.prototype.send = function (frame) {
    if (!this.open) {
      return false;
    }
    this.socket.send(JSON.stringify(Object.assign({ v: PROTOCOL }, frame)));
    return true;
  };

  StaffSocket.prototype.close = function () {
    this.closed = true;
    window.clearTimeout(this.timer);
    if (this.socket) {
      this.socket.close();
    }
  };

  function register() {
    var Controller = window.StimulusModule.Controller;

    /* The inbox: reloads its listing when a conversation of the user's departments changes. */
    class InboxController extends Controller {
      static values = { socket: String, resultsUrl: String, updated: String };
      static targets = ["status"];

      connect() {
        this.refreshTimer = null;
        this.socket = new StaffSocket(this.socketValue, {
          frame: (frame) => {
            if (frame.type === "conversation") {
              this.scheduleRefresh(frame.conversation);
            } else if (frame.type === "deleted") {
              this.scheduleRefresh(null);
            }
          },
          open: (reconnect) => {
            if (reconnect) {
              this.scheduleRefresh(null);
            }
          },
        });
      }

      disconnect() {
        this.socket.close();
        window.clearTimeout(this.refreshTimer);
      }

      scheduleRefresh(conversation) {
        window.clearTimeout(this.refreshTimer);
        this.refreshTimer = window.setTimeout(() => this.refresh(conversation), 250);
      }

      refresh(conversation) {
        fetch(this.resultsUrlValue, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
          .then((response) => (response.ok ? response.text() : null))
          .then((html) => {
            if (html === null) {
              return;
            }
            var results = this.element.querySelector("#listing-results");
            if (results) {
              results.innerHTML = html;
            }
            if (conversation) {
              this.statusTarget.textContent = this.updatedValue + " " + conversation.subject;
            }
          })
          .catch(() => {});
      }
    }

    /* One conversation: live history, reply over the socket, HTTP when the socket is down. */
    class ConversationController extends Controller {
      static values = {
        socket: String,
        id: Number,
        lastId: Number,
        messagesUrl: String,
        sending: String,
        failed: String,
        offline: String,
        online: String,
        empty: String,
        deleted: String,
      };
      static targets = ["thread", "template", "form", "error", "status"];

      connect() {
        this.seen = new Set(
          Array.from(this.threadTarget.children).map((node) => parseInt(node.dataset.id, 10))
        );
        this.pending = new Map();
        this.pollTimer = null;
        this.timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
          timeZone: "Europe/Berlin",
          day: "2-digit",
          month: "2-digit",
          year: "numeric",
          hour: "2-digit",
          minute: "2-digit",
        });
        this.scrollToEnd();
        this.socket = new StaffSocket(this.socketValue, {
          open: (reconnect) => {
            this.stopPolling();
            this.socket.send({ type: "subscribe", conversation: this.idValue, after: this.lastIdValue });
            if (reconnect) {
              this.statusTarget.textContent = this.onlineValue;
            }
          },
          close: (opened, failures) => {
            this.statusTarget.textContent = this.offlineValue;
            if (!opened && failures >= 2) {
              this.startPolling();
            }
          },
          frame: (frame) => this.onFrame(frame),
        });
      }

      disconnect() {
        this.socket.close();
        this.stopPolling();
      }

      onFrame(frame) {
        if (frame.conversation !== undefined && typeof frame.conversation === "number" && frame.conversation !== this.idValue) {
          return;
        }
        switch (frame.type) {
          case "ready":
          case "messages":
            frame.messages.forEach((message) => this.addMessage(message));
            this.resendPending();
            break;
          case "message":
          case "ack":
            this.addMessage(frame.message);
            break;
          case "error":
            this.onError(frame);
            break;
          case "deleted":
            this.statusTarget.textContent = this.deletedValue;
            if (this.hasFormTarget) {
              this.formTarget.hidden = true;
            }
            break;
          default:
            break;
        }
      }

      onError(frame) {
        var node = frame.ref ? this.pending.get(frame.ref) : null;
        if (node) {
          if (frame.code === "unavailable" || frame.code === "server_error") {
            return; // stays pending; resent on the next (re)connect
          }
          node.querySelector(".bc-thread__state").textContent = this.failedValue + " " + frame.detail;
          this.pending.delete(frame.ref);
        }
        this.errorTarget.textContent = frame.detail;
      }

      scrollToEnd() {
        this.threadTarget.scrollTop = this.threadTarget.scrollHeight;
      }

      buildNode(message) {
        var node = this.templateTarget.content.firstElementChild.cloneNode(true);
        node.classList.add("bc-thread__message--" + message.sender);
        node.dataset.clientId = message.client_id;
        node.querySelector(".bc-thread__author").textContent = message.author;
        node.querySelector(".bc-thread__body").textContent = message.body;
        return node;
      }

      addMessage(message) {
        if (this.seen.has(message.id)) {
          return;
        }
        this.seen.add(message.id);
        this.lastIdValue = Math.max(this.lastIdValue, message.id);
        var node = this.pending.get(message.client_id);
        if (node) {
          this.pending.delete(message.client_id);
          node.remove();
        }
        node = this.buildNode(message);
        node.dataset.id = message.id;
        var time = node.querySelector("time");
        time.dateTime = message.created_at;
        time.textContent = this.timeFormat.format(new Date(message.created_at));
        var after = Array.from(this.threadTarget.children).find(
          (child) => child.dataset.id && parseInt(child.dataset.id, 10) > message.id
        );
        this.threadTarget.insertBefore(node, after || this.firstPending());
        this.scrollToEnd();
      }

      firstPending() {
        return Array.from(this.threadTarget.children).find((child) => !child.dataset.id) || null;
      }

      send(event) {
        var textarea = this.formTarget.querySelector("textarea");
        var clientInput = this.formTarget.querySelector("input[name=client_id]");
        var body = textarea.value.trim();
        event.preventDefault();
        if (!body) {
          this.errorTarget.textContent = this.emptyValue;
          textarea.setAttribute("aria-invalid", "true");
          textarea.focus();
          return;
        }
        textarea.removeAttribute("aria-invalid");
        this.errorTarget.textContent = "";
        var message = { client_id: clientInput.value, body: body, sender: "staff", author: "" };
        var node = this.buildNode(message);
        node.querySelector(".bc-thread__state").textContent = this.sendingValue;
        node.dataset.body = body;
        this.pending.set(message.client_id, node);
        this.threadTarget.appendChild(node);
        this.scrollToEnd();
        textarea.value = "";
        clientInput.value = uuid4();
        this.deliver(message.client_id, body);
      }

      deliver(clientId, body) {
        var sent = this.socket.send({ type: "message", conversation: this.idValue, client_id: clientId, body: body });
        if (!sent) {
          this.postHttp(clientId, body);
        }
      }

      resendPending() {
        this.pending.forEach((node, clientId) => this.deliver(clientId, node.dataset.body));
      }

      postHttp(clientId, body) {
        var data = new FormData(this.formTarget);
        data.set("client_id", clientId);
        data.set("body", body);
        fetch(this.formTarget.action, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
        })
          .then((response) => response.json())
          .then((frame) => this.onFrame(frame))
          .catch(() => {});
      }

      startPolling() {
        if (this.pollTimer) {
          return;
        }
        this.pollTimer = window.setInterval(() => {
          fetch(this.messagesUrlValue + "?after=" + this.lastIdValue, {
            credentials: "same-origin",
            headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
          })
            .then((response) => (response.ok ? response.json() : null))
            .then((frame) => frame && this.onFrame(frame))
            .catch(() => {});
        }, POLL_INTERVAL_MS);
      }

      stopPolling() {
        window.clearInterval(this.pollTimer);
        this.pollTimer = null;
      }
    }

    window.wagtail.app.register("bc-inbox", InboxController);
    window.wagtail.app.register("bc-conversation", ConversationController);
  }

  if (window.wagtail && window.wagtail.app && window.StimulusModule) {
    register();
  } else {
    document.addEventListener("DOMContentLoaded", register);
  }
})();
