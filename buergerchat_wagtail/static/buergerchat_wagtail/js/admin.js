/*
 * Bürgerchat in the Wagtail admin: Stimulus controllers for the inbox and the
 * conversation view. Configuration comes from data- attributes (no inline
 * scripts, CSP-safe). Protocol: docs/protocol.md.
 */
(function () {
  "use strict";

  var PROTOCOL = 1;
  var POLL_INTERVAL_MS = 4000;
  var TYPING_REPEAT_MS = 3000; // resend "typing" while the case worker keeps typing
  var TYPING_IDLE_MS = 4000; // then "stopped typing"
  var TYPING_SHOWN_MS = 6000; // a received indicator disappears without news
  var READ_DELAY_MS = 400;

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

  /* ---- keyboard: one-key shortcuts follow the user's Wagtail setting (WCAG 2.1.4) ---- */

  function oneKeyShortcutsEnabled() {
    try {
      var config = JSON.parse(document.getElementById("wagtail-config").textContent);
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

  function openDialog() {
    return document.querySelector(".w-dialog:not([aria-hidden=true])");
  }

  /** The key of a one-key shortcut, or null (typing in a field, a modifier, a dialog open, switched off). */
  function shortcutKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isEditable(event.target)) {
      return null;
    }
    if (openDialog() || !oneKeyShortcutsEnabled()) {
      return null;
    }
    return event.key;
  }

  /** Show one of our Wagtail dialogs (the {% dialog %} component) by its id. */
  function showDialog(id) {
    var dialog = document.getElementById(id);
    if (dialog) {
      dialog.dispatchEvent(new CustomEvent("w-dialog:show"));
    }
  }

  function hideDialog(id) {
    var dialog = document.getElementById(id);
    if (dialog) {
      dialog.dispatchEvent(new CustomEvent("w-dialog:hide"));
    }
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return values[name] === undefined ? match : values[name];
    });
  }

  /* "?" opens the Bürgerchat shortcuts; its dialog links to Wagtail's own list. */
  function onHelpKey(event) {
    if (event.key === "?" && shortcutKey(event) === "?") {
      event.preventDefault();
      event.stopImmediatePropagation();
      showDialog("bc-shortcuts-dialog");
    }
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-bc-wagtail-shortcuts]")) {
      hideDialog("bc-shortcuts-dialog");
      showDialog("keyboard-shortcuts-dialog");
    }
  });

  function register() {
    var Controller = window.StimulusModule.Controller;

    /* The inbox: reloads its listing when a conversation of the user's departments
       changes; j/k move through the list, n opens the next waiting conversation. */
    class InboxController extends Controller {
      static values = {
        socket: String,
        resultsUrl: String,
        updated: String,
        nextUrl: String,
        resync: { type: Number, default: 15 },
      };
      static targets = ["status", "next", "help"];

      connect() {
        this.refreshTimer = null;
        this.onKey = this.onKey.bind(this);
        window.addEventListener("keydown", onHelpKey, true);
        document.addEventListener("keydown", this.onKey);
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
        window.removeEventListener("keydown", onHelpKey, true);
        document.removeEventListener("keydown", this.onKey);
      }

      rows() {
        return Array.from(this.element.querySelectorAll("#listing-results tbody tr")).filter((row) => row.querySelector("a"));
      }

      onKey(event) {
        var key = shortcutKey(event);
        if (key === "j" || key === "k") {
          var rows = this.rows();
          if (!rows.length) {
            return;
          }
          var current = rows.findIndex((row) => row.contains(document.activeElement));
          var next = key === "j" ? Math.min(rows.length - 1, current + 1) : Math.max(0, current - 1);
          if (current === -1) {
            next = 0;
          }
          event.preventDefault();
          rows[next].querySelector("a").focus();
        } else if (key === "n") {
          event.preventDefault();
          this.nextTarget.click();
        }
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
              // Keep the keyboard position: refocus the same conversation after the swap.
              var focused = document.activeElement && results.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
              results.innerHTML = html;
              if (focused) {
                var again = results.querySelector('a[href="' + focused + '"]');
                if (again) {
                  again.focus();
                }
              }
            }
            if (conversation) {
              this.statusTarget.textContent = this.updatedValue + " " + conversation.subject;
            }
          })
          .catch(() => {});
      }
    }

    /* One conversation: live history, replies and internal notes over the socket (HTTP
       when the socket is down), typing and read receipts both ways, the case worker's
       actions, canned answers and keyboard shortcuts. */
    class ConversationController extends Controller {
      static values = {
        socket: String,
        id: Number,
        lastId: Number,
        messagesUrl: String,
        readUrl: String,
        indexUrl: String,
        user: Number,
        citizenRead: Number,
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
        "typing",
        "notice",
        "strings",
        "take",
        "close",
        "actions",
        "next",
        "help",
        "cannedButton",
        "attachmentTemplate",
        "uploadForm",
        "uploadClientId",
        "fileInput",
        "progress",
        "uploadError",
        "uploadButton",
      ];

      connect() {
        this.strings = this.stringsTarget.dataset;
        this.seen = new Set(
          Array.from(this.threadTarget.children).map((node) => parseInt(node.dataset.id, 10))
        );
        this.pending = new Map();
        this.pollTimer = null;
        this.typers = new Map(); // who is typing -> {text, timer}
        this.typingSentAt = 0;
        this.typingIdleTimer = null;
        this.readSent = 0;
        this.readTimer = null;
        this.actionForm = null;
        this.lostAccess = false;
        this.timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
          timeZone: "Europe/Berlin",
          day: "2-digit",
          month: "2-digit",
          year: "numeric",
          hour: "2-digit",
          minute: "2-digit",
        });
        this.textarea = this.hasFormTarget ? this.formTarget.querySelector("textarea") : null;
        this.applyKind();
        this.scrollToEnd();

        this.onKey = this.onKey.bind(this);
        this.onVisible = this.onVisible.bind(this);
        this.onSubmitAction = this.onSubmitAction.bind(this);
        this.onCannedInput = this.onCannedInput.bind(this);
        this.onCannedKey = this.onCannedKey.bind(this);
        this.onCannedClick = this.onCannedClick.bind(this);
        this.onCannedShown = this.onCannedShown.bind(this);
        window.addEventListener("keydown", onHelpKey, true);
        document.addEventListener("keydown", this.onKey);
        document.addEventListener("visibilitychange", this.onVisible);
        this.element.addEventListener("submit", this.onSubmitAction);
        this.element.addEventListener("input", this.onCannedInput);
        this.element.addEventListener("keydown", this.onCannedKey);
        this.element.addEventListener("click", this.onCannedClick);
        this.element.addEventListener("w-dialog:shown", this.onCannedShown);
        if (this.textarea) {
          this.textarea.addEventListener("input", () => this.typed());
          this.textarea.addEventListener("keydown", (event) => this.onTextKey(event));
        }

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
            delete this.element.dataset.bcReady;
            this.statusTarget.textContent = this.offlineValue;
            if (!opened && failures >= 2) {
              this.startPolling();
            }
          },
          frame: (frame) => this.onFrame(frame),
        });
        this.markRead();
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
        window.removeEventListener("keydown", onHelpKey, true);
        document.removeEventListener("keydown", this.onKey);
        document.removeEventListener("visibilitychange", this.onVisible);
        window.clearTimeout(this.typingIdleTimer);
        window.clearTimeout(this.readTimer);
        window.clearTimeout(this.retryTimer);
        window.clearInterval(this.resyncTimer);
      }

      /* ---- frames ---- */

      onFrame(frame) {
        if (typeof frame.conversation === "number" && frame.conversation !== this.idValue) {
          return;
        }
        switch (frame.type) {
          case "ready":
            this.subscribed = true;
            this.element.dataset.bcReady = "";
            this.updateMeta(frame.conversation);
            frame.messages.forEach((message) => this.addMessage(message));
            this.resendPending();
            this.scheduleRead();
            break;
          case "messages":
            frame.messages.forEach((message) => this.addMessage(message));
            this.resendPending();
            this.scheduleRead();
            break;
          case "message":
          case "ack":
            this.addMessage(frame.message);
            this.stopTyper(frame.message.sender, frame.message.author);
            this.scheduleRead();
            break;
          case "conversation":
            if (frame.conversation.id === this.idValue) {
              this.updateMeta(frame.conversation);
            }
            break;
          case "done":
            this.actionDone(frame);
            break;
          case "read":
            if (frame.reader === "citizen") {
              this.citizenReadValue = Math.max(this.citizenReadValue, frame.up_to);
              this.showReadReceipts();
            }
            break;
          case "typing":
            this.showTyping(frame);
            break;
          case "transferred":
            this.addMessage(frame.message);
            this.transferred(frame.to_department.name, frame.access);
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
          this.errorTarget.textContent = frame.detail;
          return;
        }
        if (retryable && !this.subscribed && this.socket.open) {
          this.socket.socket.close(); // reconnect with backoff and subscribe again
          return;
        }
        if (this.actionForm) {
          this.showFormError(this.actionForm, frame);
          this.actionForm = null;
          return;
        }
        if (this.hasFormTarget) {
          this.errorTarget.textContent = frame.detail;
        } else {
          this.statusTarget.textContent = frame.detail;
        }
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

      /* Unsent replies and notes survive a reload of the page (sessionStorage, this tab only). */
      get outboxKey() {
        return "buergerchat.staff.outbox." + this.idValue;
      }

      saveOutbox() {
        var items = [];
        this.pending.forEach((node, clientId) =>
          items.push({ client_id: clientId, body: node.dataset.body, kind: node.dataset.kind })
        );
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
        items.forEach((item) => this.addPending(item.client_id, item.body, item.kind));
      }

      /* ---- the thread ---- */
      scrollToEnd() {
        this.threadTarget.scrollTop = this.threadTarget.scrollHeight;
      }

      buildNode(message) {
        var node = this.templateTarget.content.firstElementChild.cloneNode(true);
        node.classList.add("bc-thread__message--" + message.sender);
        node.dataset.clientId = message.client_id;
        node.dataset.sender = message.sender;
        if (message.internal) {
          node.classList.add("bc-thread__message--internal");
          node.dataset.internal = "";
          if (message.sender === "staff") {
            var flag = node.querySelector(".bc-thread__flag");
            flag.hidden = false;
            flag.querySelector("span").textContent = this.strings.note;
          }
        }
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
          // Released without a malware scan: say so (malware_checked is false).
          box.querySelector(".bc-thread__attachment-meta").textContent =
            attachment.malware_checked === false
              ? "(" + formatSize(attachment.size) + ", " + attachment.status_label + ")"
              : "(" + formatSize(attachment.size) + ")";
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
        this.showReadReceipts();
        this.scrollToEnd();
      }

      firstPending() {
        return Array.from(this.threadTarget.children).find((child) => !child.dataset.id) || null;
      }

      showReadReceipts() {
        this.threadTarget.querySelectorAll("[data-sender=staff]:not([data-internal])").forEach((node) => {
          var id = parseInt(node.dataset.id || "0", 10);
          if (id && id <= this.citizenReadValue) {
            node.querySelector(".bc-thread__state").textContent = this.strings.read;
          }
        });
      }

      /* ---- replies and notes ---- */

      get kind() {
        var checked = this.hasFormTarget && this.formTarget.querySelector("input[name=kind]:checked");
        return checked ? checked.value : "reply";
      }

      setKind(kind) {
        var radio = this.hasFormTarget && this.formTarget.querySelector('input[name=kind][value="' + kind + '"]');
        if (radio) {
          radio.checked = true;
        }
        this.applyKind();
      }

      changeKind() {
        this.applyKind();
      }

      applyKind() {
        if (this.hasFormTarget) {
          this.formTarget.classList.toggle("bc-reply--note", this.kind === "note");
        }
      }

      send(event) {
        var clientInput = this.formTarget.querySelector("input[name=client_id]");
        var body = this.textarea.value.trim();
        event.preventDefault();
        if (!body) {
          this.errorTarget.textContent = this.emptyValue;
          this.textarea.setAttribute("aria-invalid", "true");
          this.textarea.focus();
          return;
        }
        this.textarea.removeAttribute("aria-invalid");
        this.errorTarget.textContent = "";
        var kind = this.kind;
        var clientId = clientInput.value;
        this.addPending(clientId, body, kind);
        this.textarea.value = "";
        clientInput.value = uuid4();
        this.stopTyping();
        this.deliver(clientId, body, kind);
      }

      addPending(clientId, body, kind) {
        kind = kind === "note" ? "note" : "reply";
        var node = this.buildNode({
          client_id: clientId,
          body: body,
          sender: "staff",
          author: "",
          internal: kind === "note",
        });
        node.querySelector(".bc-thread__state").textContent = this.sendingValue;
        node.dataset.body = body;
        node.dataset.kind = kind;
        this.pending.set(clientId, node);
        this.saveOutbox();
        this.threadTarget.appendChild(node);
        this.scrollToEnd();
      }

      deliver(clientId, body, kind) {
        var sent = this.socket.send({
          type: kind === "note" ? "note" : "message",
          conversation: this.idValue,
          client_id: clientId,
          body: body,
        });
        if (!sent) {
          this.postHttp(clientId, body, kind);
        }
      }

      resendPending() {
        this.pending.forEach((node, clientId) => this.deliver(clientId, node.dataset.body, node.dataset.kind));
      }

      postHttp(clientId, body, kind) {
        var data = new FormData(this.formTarget);
        data.set("client_id", clientId);
        data.set("body", body);
        data.set("kind", kind);
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

      onTextKey(event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          this.formTarget.requestSubmit();
        } else if (event.key === "." && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          this.openCanned();
        } else if (event.key === "Escape" && !openDialog()) {
          this.textarea.blur();
        }
      }

      /* ---- typing, both ways ---- */

      typed() {
        var now = Date.now();
        if (now - this.typingSentAt > TYPING_REPEAT_MS) {
          this.typingSentAt = now;
          this.socket.send({ type: "typing", conversation: this.idValue, active: true, note: this.kind === "note" });
        }
        window.clearTimeout(this.typingIdleTimer);
        this.typingIdleTimer = window.setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
      }

      stopTyping() {
        window.clearTimeout(this.typingIdleTimer);
        if (this.typingSentAt) {
          this.typingSentAt = 0;
          this.socket.send({ type: "typing", conversation: this.idValue, active: false, note: this.kind === "note" });
        }
      }

      showTyping(frame) {
        var key = frame.sender + ":" + frame.author;
        var entry = this.typers.get(key);
        if (entry) {
          window.clearTimeout(entry.timer);
        }
        if (frame.active) {
          var template = frame.note ? this.strings.typingNote : this.strings.typing;
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
        var key = sender + ":" + author;
        var entry = this.typers.get(key);
        if (entry) {
          window.clearTimeout(entry.timer);
          this.typers.delete(key);
          this.renderTyping();
        }
      }

      renderTyping() {
        var text = Array.from(this.typers.values())
          .map((entry) => entry.text)
          .join(" ");
        if (this.typingTarget.textContent !== text) {
          this.typingTarget.textContent = text;
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
        var upTo = this.lastIdValue;
        this.readSent = upTo;
        if (!this.socket.send({ type: "read", conversation: this.idValue, up_to: upTo }) && this.hasFormTarget) {
          var data = new FormData();
          data.set("csrfmiddlewaretoken", this.formTarget.querySelector("[name=csrfmiddlewaretoken]").value);
          data.set("up_to", String(upTo));
          fetch(this.readUrlValue, { method: "POST", body: data, credentials: "same-origin" }).catch(() => {});
        }
      }

      /* ---- actions: take, assign, status, transfer ---- */

      onSubmitAction(event) {
        var form = event.target.closest("form[data-bc-action]");
        if (!form) {
          return;
        }
        event.preventDefault();
        var data = new FormData(form);
        var type = form.dataset.bcAction;
        var frame = { type: type, conversation: this.idValue };
        if (type === "assign") {
          frame.assignee = data.get("assignee") ? parseInt(data.get("assignee"), 10) : null;
        } else if (type === "status") {
          frame.status = data.get("status");
        } else if (type === "transfer") {
          frame.department = parseInt(data.get("department"), 10);
          frame.reason = data.get("reason") || "";
        }
        this.clearFormErrors(form);
        this.actionForm = form;
        if (!this.socket.send(frame)) {
          fetch(form.action, {
            method: "POST",
            body: data,
            credentials: "same-origin",
            headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
          })
            .then((response) => response.json())
            .then((answer) => this.onFrame(answer))
            .catch(() => {});
        }
      }

      actionDone(frame) {
        var form = this.actionForm;
        this.actionForm = null;
        this.updateMeta(frame.conversation);
        if (form && form.dataset.bcAction === "transfer") {
          form.reset();
          var details = form.closest("details");
          if (details) {
            details.open = false;
          }
        }
        if (frame.access === false) {
          // No unsubscribe here: the "transferred" frame with the system message may
          // still be on its way; the server stops the subscription when it sends it.
          this.transferred(frame.conversation.department, false, { unsubscribe: false });
          return;
        }
        this.statusTarget.textContent = this.strings.done;
      }

      clearFormErrors(form) {
        var error = form.querySelector("[data-bc-form-error]");
        if (error) {
          error.hidden = true;
          error.textContent = "";
        }
        form.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
      }

      showFormError(form, frame) {
        var error = form.querySelector("[data-bc-form-error]");
        if (error) {
          error.textContent = frame.detail;
          error.hidden = false;
        }
        var field = frame.field ? form.querySelector('[name="' + frame.field + '"]') : null;
        if (field) {
          field.setAttribute("aria-invalid", "true");
          if (error) {
            error.id = error.id || "bc-error-" + form.dataset.bcAction;
            field.setAttribute("aria-describedby", error.id);
          }
          field.focus();
        }
      }

      updateMeta(conversation) {
        var set = (name, text) => {
          this.element.querySelectorAll('[data-bc-field="' + name + '"]').forEach((node) => {
            node.textContent = text;
          });
        };
        set("status_label", conversation.status_label);
        set("department", conversation.department);
        set("assignee", conversation.assignee ? conversation.assignee.name : this.strings.nobody);
        if (conversation.rating) {
          set(
            "rating",
            format(this.strings.rating, { score: conversation.rating }) +
              (conversation.rating_comment ? " – „" + conversation.rating_comment + "“" : "")
          );
        }
        if (this.hasTakeTarget) {
          this.takeTarget.hidden = Boolean(conversation.assignee && conversation.assignee.id === this.userValue);
        }
        if (this.hasCloseTarget) {
          this.closeTarget.hidden = conversation.status === "closed";
        }
        var assignee = this.element.querySelector("form[data-bc-action=assign] select[name=assignee]");
        if (assignee) {
          assignee.value = conversation.assignee ? String(conversation.assignee.id) : "";
        }
        var status = this.element.querySelector("form[data-bc-action=status] select[name=status]");
        if (status && status.querySelector('option[value="' + conversation.status + '"]')) {
          status.value = conversation.status;
        }
        if (typeof conversation.read_by_citizen_up_to === "number") {
          this.citizenReadValue = Math.max(this.citizenReadValue, conversation.read_by_citizen_up_to);
          this.showReadReceipts();
        }
      }

      /* The conversation moved to another department. Who lost access can no longer act. */
      transferred(department, access, options) {
        this.noticeTarget.textContent = format(access ? this.strings.transferred : this.strings.transferredAway, {
          department: department,
        });
        if (!access) {
          this.lostAccess = true;
          this.subscribed = false; // no more syncs of a conversation this user may not open
          this.stopTyping();
          if (this.hasFormTarget) {
            this.formTarget.hidden = true;
          }
          if (this.hasUploadFormTarget) {
            this.uploadFormTarget.hidden = true;
          }
          this.actionsTarget.hidden = true;
          if (!options || options.unsubscribe !== false) {
            this.socket.send({ type: "unsubscribe", conversation: this.idValue });
          }
        }
      }

      /* ---- canned answers: a searchable listbox in a Wagtail dialog ---- */

      openCanned() {
        if (this.hasCannedButtonTarget) {
          this.cannedButtonTarget.click();
        }
      }

      cannedOptions(visibleOnly) {
        var options = Array.from(document.querySelectorAll("#bc-canned-list [data-bc-canned-option]"));
        return visibleOnly ? options.filter((option) => !option.hidden) : options;
      }

      onCannedShown(event) {
        if (!event.target.closest || !event.target.closest("#bc-canned-dialog")) {
          return;
        }
        var search = document.getElementById("bc-canned-search");
        search.value = "";
        this.filterCanned("");
        window.setTimeout(() => search.focus(), 0);
      }

      onCannedInput(event) {
        if (event.target.matches && event.target.matches("[data-bc-canned-search]")) {
          this.filterCanned(event.target.value);
        }
      }

      normalize(text) {
        return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
      }

      filterCanned(query) {
        var words = this.normalize(query).split(/\s+/).filter(Boolean);
        var first = null;
        this.cannedOptions(false).forEach((option) => {
          var text = this.normalize(option.textContent + " " + option.dataset.text);
          option.hidden = !words.every((word) => text.includes(word));
          if (!option.hidden && !first) {
            first = option;
          }
        });
        document.querySelector("[data-bc-canned-empty]").textContent = first ? "" : this.strings.noAnswers;
        this.activateCanned(first);
      }

      activateCanned(option) {
        var search = document.getElementById("bc-canned-search");
        this.cannedOptions(false).forEach((other) => other.setAttribute("aria-selected", String(other === option)));
        if (option) {
          search.setAttribute("aria-activedescendant", option.id);
          option.scrollIntoView({ block: "nearest" });
        } else {
          search.removeAttribute("aria-activedescendant");
        }
      }

      onCannedKey(event) {
        if (!event.target.matches || !event.target.matches("[data-bc-canned-search]")) {
          return;
        }
        var options = this.cannedOptions(true);
        var current = options.findIndex((option) => option.getAttribute("aria-selected") === "true");
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          if (options.length) {
            var next = event.key === "ArrowDown" ? Math.min(options.length - 1, current + 1) : Math.max(0, current - 1);
            this.activateCanned(options[next]);
          }
        } else if (event.key === "Enter") {
          event.preventDefault();
          if (current >= 0) {
            this.insertCanned(options[current]);
          }
        }
      }

      onCannedClick(event) {
        var option = event.target.closest && event.target.closest("[data-bc-canned-option]");
        if (option) {
          this.insertCanned(option);
        }
      }

      insertCanned(option) {
        var text = option.dataset.text;
        var textarea = this.textarea;
        var start = textarea.selectionStart || 0;
        var end = textarea.selectionEnd || 0;
        textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
        hideDialog("bc-canned-dialog");
        window.setTimeout(() => {
          textarea.focus();
          textarea.setSelectionRange(start + text.length, start + text.length);
        }, 0);
        if (option.dataset.missing) {
          this.errorTarget.textContent = format(this.strings.missing, {
            names: option.dataset.missing
              .split(", ")
              .map((name) => "{" + name + "}")
              .join(", "),
          });
        } else {
          this.errorTarget.textContent = "";
          this.statusTarget.textContent = this.strings.inserted;
        }
        this.typed();
      }

      /* ---- keyboard ---- */

      onKey(event) {
        if (event.key === "." && (event.ctrlKey || event.metaKey) && !openDialog() && this.textarea && !this.lostAccess) {
          event.preventDefault();
          this.openCanned();
          return;
        }
        var key = shortcutKey(event);
        if (!key || this.lostAccess && key !== "n" && key !== "u") {
          return;
        }
        var handled = true;
        if (key === "r" && this.textarea) {
          this.setKind("reply");
          this.textarea.focus();
        } else if (key === "i" && this.textarea && this.formTarget.querySelector("input[name=kind]")) {
          this.setKind("note");
          this.textarea.focus();
        } else if (key === "n") {
          this.nextTarget.click();
        } else if (key === "t" && this.hasTakeTarget && !this.takeTarget.hidden) {
          this.takeTarget.requestSubmit();
        } else if (key === "C" && this.hasCloseTarget && !this.closeTarget.hidden) {
          this.closeTarget.requestSubmit();
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
