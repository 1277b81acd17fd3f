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

  function formatSize(bytes) {
    var units = ["B", "KB", "MB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    var digits = unit === 0 ? 0 : 1;
    return value.toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: digits }) + " " + units[unit];
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
      // Pings keep the case worker counted as present (see presence.py).
      self.heartbeat = window.setInterval(function () {
        self.send({ type: "ping" });
      }, 30000);
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
      window.clearInterval(self.heartbeat);
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
      static values = { socket: String, resultsUrl: String, updated: String, resync: { type: Number, default: 15 } };
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
        // Re-join groups (ping) and refresh the listing now and then: events may be lost.
        this.resyncTimer = window.setInterval(() => {
          this.socket.send({ type: "ping" });
          this.scheduleRefresh(null);
        }, this.resyncValue * 1000);
      }

      disconnect() {
        this.socket.close();
        window.clearTimeout(this.refreshTimer);
        window.clearInterval(this.resyncTimer);
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
        resync: { type: Number, default: 15 },
        sending: String,
        failed: String,
        offline: String,
        online: String,
        empty: String,
        deleted: String,
        uploadUrl: String,
        maxBytes: Number,
        tooLarge: String,
        uploading: String,
        uploaded: String,
        networkError: String,
        checking: String,
      };
      static targets = [
        "thread",
        "template",
        "form",
        "error",
        "status",
        "attachmentTemplate",
        "uploadForm",
        "uploadClientId",
        "fileInput",
        "progress",
        "uploadError",
        "uploadButton",
      ];

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
        this.subscribed = false;
        this.restoreOutbox();
        this.socket = new StaffSocket(this.socketValue, {
          open: (reconnect) => {
            this.subscribed = false;
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
        // The database is the truth: ask it for anything a dropped event missed.
        this.resyncTimer = window.setInterval(() => {
          if (this.subscribed) {
            this.socket.send({ type: "sync", conversation: this.idValue, after: this.lastIdValue });
          }
          if (this.pending.size) {
            this.resendPending();
          }
        }, this.resyncValue * 1000);
      }

      disconnect() {
        this.socket.close();
        this.stopPolling();
        window.clearInterval(this.resyncTimer);
      }

      onFrame(frame) {
        if (frame.conversation !== undefined && typeof frame.conversation === "number" && frame.conversation !== this.idValue) {
          return;
        }
        switch (frame.type) {
          case "ready":
          case "messages":
            if (frame.type === "ready") {
              this.subscribed = true;
            }
            frame.messages.forEach((message) => this.addMessage(message));
            this.resendPending();
            break;
          case "message":
          case "ack":
            this.addMessage(frame.message);
            break;
          case "attachment":
            this.updateAttachment(frame.message, frame.attachment);
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
        var retryable = frame.code === "unavailable" || frame.code === "server_error";
        var node = frame.ref ? this.pending.get(frame.ref) : null;
        if (node) {
          if (retryable) {
            this.scheduleRetry(); // stays pending and is sent again
            return;
          }
          node.querySelector(".bc-thread__state").textContent = this.failedValue + " " + frame.detail;
          this.pending.delete(frame.ref);
          this.saveOutbox();
        } else if (retryable && !this.subscribed) {
          this.socket.socket.close(); // reconnect with backoff and subscribe again
          return;
        }
        this.errorTarget.textContent = frame.detail;
      }

      scheduleRetry() {
        if (this.retryTimer) {
          return;
        }
        this.retryFailures = (this.retryFailures || 0) + 1;
        var delay = Math.min(30000, 500 * Math.pow(2, this.retryFailures)) * (0.5 + Math.random());
        this.retryTimer = window.setTimeout(() => {
          this.retryTimer = null;
          this.resendPending();
        }, delay);
      }

      /* Unsent replies survive a reload of the page (sessionStorage, this tab only). */
      get outboxKey() {
        return "buergerchat.staff.outbox." + this.idValue;
      }

      saveOutbox() {
        var items = [];
        this.pending.forEach((node, clientId) => items.push({ client_id: clientId, body: node.dataset.body }));
        try {
          window.sessionStorage.setItem(this.outboxKey, JSON.stringify(items));
        } catch (e) {
          /* storage unavailable: pending replies live until the page is left */
        }
      }

      restoreOutbox() {
        var items = [];
        try {
          items = JSON.parse(window.sessionStorage.getItem(this.outboxKey)) || [];
        } catch (e) {
          items = [];
        }
        items.forEach((item) => this.addPending(item.client_id, item.body));
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
        if (message.attachment) {
          this.renderAttachment(node, message.attachment);
        }
        return node;
      }

      renderAttachment(node, attachment) {
        var old = node.querySelector(".bc-thread__attachment");
        if (old) {
          old.remove();
        }
        var box = this.attachmentTemplateTarget.content.firstElementChild.cloneNode(true);
        var link = box.querySelector("a");
        var name = box.querySelector(".bc-thread__attachment-name");
        box.dataset.bcAttachmentId = attachment.id;
        box.dataset.status = attachment.status;
        if (attachment.status === "clean") {
          link.href = attachment.url;
          link.textContent = attachment.name;
          name.remove();
          box.querySelector(".bc-thread__attachment-meta").textContent = "(" + formatSize(attachment.size) + ")";
        } else {
          link.remove();
          name.textContent = attachment.name;
          box.querySelector(".bc-thread__attachment-meta").textContent =
            "(" + formatSize(attachment.size) + ", " + attachment.status_label + ")";
        }
        node.appendChild(box);
      }

      updateAttachment(messageId, attachment) {
        var node = Array.from(this.threadTarget.children).find(
          (child) => parseInt(child.dataset.id, 10) === messageId
        );
        if (node) {
          this.renderAttachment(node, attachment);
        }
      }

      /* ---- file upload: button or drag and drop, with progress ---- */

      setUploadError(text) {
        this.uploadErrorTarget.textContent = text || "";
        if (text) {
          this.fileInputTarget.setAttribute("aria-invalid", "true");
        } else {
          this.fileInputTarget.removeAttribute("aria-invalid");
        }
      }

      fileChosen() {
        this.setUploadError("");
      }

      dragOver(event) {
        event.preventDefault();
        this.uploadFormTarget.classList.add("bc-upload--over");
      }

      dragLeave() {
        this.uploadFormTarget.classList.remove("bc-upload--over");
      }

      drop(event) {
        event.preventDefault();
        this.dragLeave();
        if (event.dataTransfer && event.dataTransfer.files.length) {
          this.fileInputTarget.files = event.dataTransfer.files;
          this.upload(event);
        }
      }

      upload(event) {
        event.preventDefault();
        var file = this.fileInputTarget.files[0];
        if (!file) {
          this.setUploadError(this.uploadErrorTarget.dataset.choose || this.emptyValue);
          this.fileInputTarget.focus();
          return;
        }
        if (file.size > this.maxBytesValue) {
          this.setUploadError(this.tooLargeValue);
          this.fileInputTarget.focus();
          return;
        }
        this.setUploadError("");
        var data = new FormData(this.uploadFormTarget);
        var xhr = new XMLHttpRequest();
        var progress = this.progressTarget;
        progress.hidden = false;
        progress.value = 0;
        this.uploadButtonTarget.disabled = true;
        this.statusTarget.textContent = this.uploadingValue;
        xhr.open("POST", this.uploadUrlValue);
        xhr.setRequestHeader("Accept", "application/json");
        xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable) {
            progress.value = Math.round((e.loaded / e.total) * 100);
          }
        };
        xhr.onload = () => {
          this.uploadButtonTarget.disabled = false;
          progress.hidden = true;
          var frame = null;
          try {
            frame = JSON.parse(xhr.responseText);
          } catch (e) {
            frame = null;
          }
          if ((xhr.status === 200 || xhr.status === 201) && frame) {
            this.onFrame(frame);
            this.uploadFormTarget.reset();
            this.uploadClientIdTarget.value = uuid4();
            this.statusTarget.textContent = this.uploadedValue;
          } else {
            this.setUploadError((frame && frame.detail) || this.networkErrorValue);
            this.statusTarget.textContent = "";
            this.fileInputTarget.focus();
          }
        };
        xhr.onerror = () => {
          this.uploadButtonTarget.disabled = false;
          progress.hidden = true;
          this.setUploadError(this.networkErrorValue);
        };
        xhr.send(data);
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
          this.saveOutbox();
          this.retryFailures = 0;
          node.remove();
        }
        node = this.buildNode(message);
        node.dataset.id = message.id;
        var time = node.querySelector("time");
        time.dateTime = message.created_at;
        time.textContent = this.timeFormat.format(new Date(message.created_at)).replace(", ", " ");
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
        var clientId = clientInput.value;
        this.addPending(clientId, body);
        textarea.value = "";
        clientInput.value = uuid4();
        this.deliver(clientId, body);
      }

      addPending(clientId, body) {
        var node = this.buildNode({ client_id: clientId, body: body, sender: "staff", author: "" });
        node.querySelector(".bc-thread__state").textContent = this.sendingValue;
        node.dataset.body = body;
        this.pending.set(clientId, node);
        this.saveOutbox();
        this.threadTarget.appendChild(node);
        this.scrollToEnd();
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
          .then((frame) => {
            if (frame.type === "error" && !frame.ref) {
              frame.ref = clientId;
            }
            this.onFrame(frame);
          })
          .catch(() => this.scheduleRetry());
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

    /* A consultation session's queue: reloads when the queue changes (host view). */
    class QueueController extends Controller {
      static values = { socket: String, session: Number, fragmentUrl: String, updated: String };
      static targets = ["results", "status"];

      connect() {
        this.socket = new StaffSocket(this.socketValue, {
          frame: (frame) => {
            if (frame.type === "queue" && frame.session === this.sessionValue) {
              this.refresh();
            }
          },
          open: (reconnect) => {
            if (reconnect) {
              this.refresh();
            }
          },
        });
        // The session's start and end change the page too: look again every 30 s.
        this.timer = window.setInterval(() => this.refresh(), 30000);
      }

      disconnect() {
        this.socket.close();
        window.clearInterval(this.timer);
      }

      refresh() {
        fetch(this.fragmentUrlValue, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
          .then((response) => (response.ok ? response.text() : null))
          .then((html) => {
            if (html === null || html === this.lastHtml) {
              return;
            }
            this.lastHtml = html;
            var focused = document.activeElement && document.activeElement.closest("[data-bc-queue-target=results]");
            this.resultsTarget.innerHTML = html;
            this.statusTarget.textContent = this.updatedValue;
            if (focused) {
              var again = this.resultsTarget.querySelector("[data-bc-take-next]");
              if (again) {
                again.focus();
              }
            }
          })
          .catch(() => {});
      }
    }

    window.wagtail.app.register("bc-queue", QueueController);
    window.wagtail.app.register("bc-inbox", InboxController);
    window.wagtail.app.register("bc-conversation", ConversationController);
  }

  if (window.wagtail && window.wagtail.app && window.StimulusModule) {
    register();
  } else {
    document.addEventListener("DOMContentLoaded", register);
  }
})();
