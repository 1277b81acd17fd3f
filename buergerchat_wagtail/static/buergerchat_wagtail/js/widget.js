/*
 * Bürgerchat citizen widget. Plain JavaScript, no build step, no inline code (CSP).
 *
 * Nothing is stored in the browser before the citizen submits the start form
 * ("Chat starten"): only then the conversation secret is kept in localStorage.
 * The secret travels in the first socket frame or in the X-Buergerchat-Secret
 * header, never in a URL. Protocol: docs/protocol.md.
 */
(function () {
  "use strict";

  if (window.buergerchatWidgetLoaded) {
    return;
  }
  window.buergerchatWidgetLoaded = true;

  var PROTOCOL = 1;
  var STORAGE_PREFIX = "buergerchat.v1.";
  var SECRET_HEADER = "X-Buergerchat-Secret";
  var POLL_INTERVAL_MS = 4000;
  var RETRYABLE = { unavailable: true, server_error: true };
  var TYPING_REPEAT_MS = 3000;
  var TYPING_IDLE_MS = 4000;
  var TYPING_SHOWN_MS = 6000;
  var READ_DELAY_MS = 400;
  var IDLE_WARNING_MS = 20000; // WCAG 2.2.1: warn this long before the idle close

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return values[name] === undefined ? match : values[name];
    });
  }

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
    return value.toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: unit ? 1 : 0 }) + " " + units[unit];
  }

  function filenameFrom(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var star = /filename\*=utf-8''([^;]+)/i.exec(header);
    if (star) {
      try {
        return decodeURIComponent(star[1]);
      } catch (e) {
        /* fall through */
      }
    }
    var plain = /filename="([^"]+)"/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  /** Save a blob as a file: the secret stays in a header, never in a URL. */
  function saveBlob(blob, filename) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 60000);
  }

  function backoff(failures) {
    var base = Math.min(30000, 500 * Math.pow(2, failures));
    return base * (0.5 + Math.random());
  }

  function ChatWidget(root) {
    this.root = root;
    this.strings = root.querySelector("[data-bc-strings]").dataset;
    // Keyed by the department id, which (unlike the slug) editors cannot change; a
    // consultation session's widget has its own key.
    this.storageKey =
      STORAGE_PREFIX + (root.dataset.bcStorageKey || "department." + root.dataset.bcDepartment);
    this.preview = root.hasAttribute("data-bc-preview");
    this.maxLength = parseInt(root.dataset.bcMaxLength, 10) || 4000;
    this.resyncMs = (parseInt(root.dataset.bcResyncInterval, 10) || 15) * 1000;
    this.resyncTimer = null;
    this.startBox = root.querySelector("[data-bc-start]");
    this.chatBox = root.querySelector("[data-bc-chat]");
    this.list = root.querySelector("[data-bc-messages]");
    this.sendForm = root.querySelector("[data-bc-send-form]");
    this.input = root.querySelector("[data-bc-input]");
    this.sendError = root.querySelector("[data-bc-send-error]");
    this.status = root.querySelector("[data-bc-status]");
    this.alertBox = root.querySelector("[data-bc-alert]");
    this.template = root.querySelector("[data-bc-message-template]");
    this.typingBox = root.querySelector("[data-bc-typing]");
    this.closedBox = root.querySelector("[data-bc-closed]");
    this.closedText = root.querySelector("[data-bc-closed-text]");
    this.ratingForm = root.querySelector("[data-bc-rating-form]");
    this.ratingError = root.querySelector("[data-bc-rating-error]");
    this.ratingThanks = root.querySelector("[data-bc-rating-thanks]");
    this.availabilityBox = root.querySelector("[data-bc-availability]");
    this.codeBox = root.querySelector("[data-bc-code]");
    this.noticeBox = root.querySelector("[data-bc-notice]");
    this.queueBox = root.querySelector("[data-bc-queue]");
    this.resumeBox = root.querySelector("[data-bc-resume]");
    this.resumeInput = root.querySelector("[data-bc-resume-input]");
    this.resumeError = root.querySelector("[data-bc-resume-error]");
    this.accepting = !this.startBox.hidden;
    this.availabilityTimer = null;
    this.resuming = false;
    this.uploadForm = root.querySelector("[data-bc-upload-form]");
    this.maxAttachmentBytes = parseInt(root.dataset.bcMaxAttachmentBytes, 10) || 0;
    this.uploadClientId = null;
    this.timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      timeZone: "Europe/Berlin",
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
    this.secret = null;
    this.outbox = [];
    this.lastId = 0;
    this.nodes = new Map(); // client_id -> <li>
    this.seenIds = new Set();
    this.socket = null;
    this.ready = false;
    this.failures = 0;
    this.everOpened = false;
    this.pollTimer = null;
    this.reconnectTimer = null;
    this.state = null; // the conversation as the server last described it
    this.staffRead = 0; // staff have read the citizen's messages up to this id
    this.readSent = 0;
    this.readTimer = null;
    this.typingSentAt = 0;
    this.typingIdleTimer = null;
    this.typingShownTimer = null;
    this.refusedText = "";
    this.idleBox = root.querySelector("[data-bc-idle]");
    this.idleAt = 0; // when the server closes the conversation for inactivity (ms), 0: not counting
    this.idleServerAt = 0;
    this.idleMinutes = 0;
    this.idleWarnTimer = null;
    this.idleCloseTimer = null;

    this.startBox.addEventListener("submit", this.onStartSubmit.bind(this));
    this.input.addEventListener("input", this.onTyped.bind(this));
    this.ratingForm.addEventListener("submit", this.onRatingSubmit.bind(this));
    root.querySelector("[data-bc-new-conversation]").addEventListener("click", this.startNew.bind(this));
    root.querySelector("[data-bc-idle-extend]").addEventListener("click", this.extendIdle.bind(this));
    document.addEventListener("visibilitychange", this.scheduleRead.bind(this));
    this.sendForm.addEventListener("submit", this.onSendSubmit.bind(this));
    this.input.addEventListener("keydown", this.onInputKeydown.bind(this));
    root.querySelector("[data-bc-forget]").addEventListener("click", this.forget.bind(this));
    root.querySelector("[data-bc-export]").addEventListener("click", this.exportData.bind(this));
    root.querySelector("[data-bc-erase]").addEventListener("click", this.eraseConversation.bind(this));
    root.querySelector("[data-bc-code-copy]").addEventListener("click", this.copyCode.bind(this));
    root.querySelector("[data-bc-code-done]").addEventListener("click", this.hideCode.bind(this));
    root.querySelector("[data-bc-leave-queue]").addEventListener("click", this.leaveQueue.bind(this));
    if (this.resumeBox) {
      root.querySelector("[data-bc-resume-form]").addEventListener("submit", this.onResumeSubmit.bind(this));
    }
    if (root.dataset.bcStatusUrl) {
      this.fetchAvailability();
      document.addEventListener("visibilitychange", this.onVisibility.bind(this));
    }
    root.querySelector("[data-bc-transcript]").addEventListener("click", this.downloadTranscript.bind(this, 0));
    this.list.addEventListener("click", this.onListClick.bind(this));
    if (this.uploadForm) {
      this.fileInput = this.uploadForm.querySelector("[data-bc-file]");
      this.progress = this.uploadForm.querySelector("[data-bc-progress]");
      this.uploadError = this.uploadForm.querySelector("[data-bc-upload-error]");
      this.uploadButton = this.uploadForm.querySelector("[data-bc-upload-button]");
      this.uploadForm.addEventListener("submit", this.onUploadSubmit.bind(this));
      this.fileInput.addEventListener("change", this.setUploadError.bind(this, ""));
      this.chatBox.addEventListener("dragover", this.onDragOver.bind(this));
      this.chatBox.addEventListener("dragleave", this.onDragLeave.bind(this));
      this.chatBox.addEventListener("drop", this.onDrop.bind(this));
    }

    var saved = this.readState();
    if (saved && saved.secret && !this.preview) {
      this.secret = saved.secret;
      this.outbox = Array.isArray(saved.outbox) ? saved.outbox : [];
      this.showChat(false);
      this.outbox.forEach(this.renderPending, this);
      this.connect();
    }
  }

  /* ---- browser storage (only after the citizen started a chat) ---- */

  ChatWidget.prototype.readState = function () {
    try {
      return JSON.parse(window.localStorage.getItem(this.storageKey));
    } catch (e) {
      return null;
    }
  };

  ChatWidget.prototype.saveState = function () {
    try {
      window.localStorage.setItem(
        this.storageKey,
        JSON.stringify({ secret: this.secret, outbox: this.outbox })
      );
    } catch (e) {
      /* storage full or disabled: the chat still works until the page is left */
    }
  };

  ChatWidget.prototype.clearState = function () {
    try {
      window.localStorage.removeItem(this.storageKey);
    } catch (e) {
      /* ignore */
    }
  };

  /* ---- availability: asked on load (cached pages are never stale), again at the
     next transition the server names, and pushed over the socket ---- */

  ChatWidget.prototype.fetchAvailability = function () {
    var self = this;
    window.clearTimeout(this.availabilityTimer);
    fetch(this.root.dataset.bcStatusUrl, { credentials: "omit", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (frame) {
        if (frame && frame.availability) {
          self.renderAvailability(frame.availability);
        } else {
          self.scheduleAvailability(60);
        }
      })
      .catch(function () {
        self.scheduleAvailability(60);
      });
  };

  ChatWidget.prototype.scheduleAvailability = function (seconds) {
    window.clearTimeout(this.availabilityTimer);
    if (seconds) {
      // Timers are capped; a far-away change is simply asked again later.
      this.availabilityTimer = window.setTimeout(this.fetchAvailability.bind(this), Math.min(seconds, 6 * 3600) * 1000);
    }
  };

  ChatWidget.prototype.onVisibility = function () {
    if (document.visibilityState === "visible") {
      this.fetchAvailability();
    }
  };

  ChatWidget.prototype.renderAvailability = function (state) {
    if (this.availabilityBox) {
      var label = this.availabilityBox.querySelector("[data-bc-availability-label]");
      var detail = this.availabilityBox.querySelector("[data-bc-availability-detail]");
      if (label.textContent !== state.label || detail.textContent !== state.detail) {
        label.textContent = state.label;
        detail.textContent = state.detail || "";
      }
      this.availabilityBox.dataset.state = state.state;
    }
    this.accepting = !!state.accepts_messages;
    if (!this.secret) {
      this.startBox.hidden = !this.accepting;
    }
    if (this.root.dataset.bcStatusUrl) {
      this.scheduleAvailability(state.refresh_in);
    }
  };

  /* ---- consultation queue ---- */

  ChatWidget.prototype.renderQueue = function (queue) {
    if (!queue) {
      return;
    }
    this.queueBox.hidden = false;
    this.queueBox.dataset.status = queue.status;
    this.queueBox.dataset.position = queue.position || "";
    this.queueBox.querySelector("[data-bc-queue-label]").textContent = queue.label;
    this.root.querySelector("[data-bc-leave-queue]").hidden = queue.status !== "waiting";
  };

  ChatWidget.prototype.leaveQueue = function () {
    if (this.socket && this.ready) {
      this.socket.send(JSON.stringify({ v: PROTOCOL, type: "leave_queue" }));
    }
  };

  /* ---- the conversation code: shown once, kept in this browser ---- */

  ChatWidget.prototype.showCode = function () {
    this.codeBox.querySelector("[data-bc-code-value]").textContent = this.secret;
    this.codeBox.hidden = false;
  };

  ChatWidget.prototype.hideCode = function () {
    this.codeBox.querySelector("[data-bc-code-value]").textContent = "";
    this.codeBox.hidden = true;
    this.input.focus();
  };

  ChatWidget.prototype.copyCode = function () {
    var self = this;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(this.secret).then(function () {
        self.announce(self.strings.codeCopied);
      });
    }
  };

  ChatWidget.prototype.onResumeSubmit = function (event) {
    event.preventDefault();
    var code = this.resumeInput.value.trim();
    if (!code) {
      this.resumeError.textContent = this.strings.resumeEmpty;
      this.resumeInput.setAttribute("aria-invalid", "true");
      this.resumeInput.focus();
      return;
    }
    this.resumeError.textContent = "";
    this.resumeInput.removeAttribute("aria-invalid");
    this.alert("");
    this.secret = code;
    this.resuming = true;
    this.outbox = [];
    this.showChat(false);
    this.connect();
  };

  ChatWidget.prototype.resumeFailed = function () {
    this.resuming = false;
    this.endSession();
    if (this.resumeBox) {
      this.resumeBox.open = true;
      this.resumeError.textContent = this.strings.resumeFailed;
      this.resumeInput.setAttribute("aria-invalid", "true");
      this.resumeInput.focus();
    }
  };

  /* ---- announcements ---- */

  ChatWidget.prototype.announce = function (text) {
    this.status.textContent = text;
  };

  ChatWidget.prototype.alert = function (text) {
    this.alertBox.textContent = text || "";
  };

  /* ---- start form ---- */

  ChatWidget.prototype.onStartSubmit = function (event) {
    var form = event.target.closest("[data-bc-start-form]");
    if (!form) {
      return;
    }
    event.preventDefault();
    if (this.preview) {
      return;
    }
    var button = form.querySelector("[type=submit]");
    if (button) {
      button.disabled = true;
    }
    this.alert("");
    var self = this;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "omit",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { status: response.status, data: data };
        });
      })
      .then(function (result) {
        if (result.status === 201) {
          self.secret = result.data.secret;
          self.saveState();
          self.showChat(true);
          self.renderConversation(result.data.conversation);
          self.addMessages(result.data.messages);
          self.showCode();
          if (result.data.notice) {
            self.noticeBox.textContent = result.data.notice;
            self.noticeBox.hidden = false;
          }
          self.renderQueue(result.data.queue);
          self.announce(self.strings.started);
          self.connect();
        } else if (result.status === 409) {
          self.alert(result.data.detail);
          if (result.data.availability) {
            self.renderAvailability(result.data.availability);
          }
        } else if (result.data && result.data.form_html) {
          self.startBox.innerHTML = result.data.form_html;
          self.alert(self.strings.formErrors);
          var invalid = self.startBox.querySelector(".is-invalid, [aria-invalid=true]");
          if (invalid) {
            invalid.focus();
          }
        } else {
          self.alert((result.data && result.data.detail) || self.strings.networkError);
          if (button) {
            button.disabled = false;
          }
        }
      })
      .catch(function () {
        self.alert(self.strings.networkError);
        if (button) {
          button.disabled = false;
        }
      });
  };

  ChatWidget.prototype.showChat = function (focus) {
    this.startBox.hidden = true;
    if (this.resumeBox) {
      this.resumeBox.hidden = true;
    }
    this.chatBox.hidden = false;
    if (focus) {
      this.input.focus();
    }
  };

  ChatWidget.prototype.showStart = function () {
    this.chatBox.hidden = true;
    this.startBox.hidden = !this.accepting;
    if (this.resumeBox) {
      this.resumeBox.hidden = false;
    }
    this.codeBox.hidden = true;
    this.noticeBox.hidden = true;
    this.queueBox.hidden = true;
    this.list.textContent = "";
    this.nodes.clear();
    this.seenIds.clear();
    this.lastId = 0;
    this.state = null;
    this.staffRead = 0;
    this.readSent = 0;
    this.closedBox.hidden = true;
    this.sendForm.hidden = false;
    if (this.uploadForm) {
      this.uploadForm.hidden = false;
    }
    this.typingBox.textContent = "";
    var form = this.startBox.querySelector("form");
    if (form) {
      form.reset();
      var text = form.querySelector("textarea");
      if (text && this.refusedText) {
        // A message refused because the conversation was closed is not lost:
        // it becomes the concern of the new conversation.
        text.value = this.refusedText;
        this.refusedText = "";
      }
      var button = form.querySelector("[type=submit]");
      if (button) {
        button.disabled = false;
      }
      var first = form.querySelector("textarea, input:not([type=hidden])");
      if (first) {
        first.focus();
      }
    }
  };

  ChatWidget.prototype.forget = function () {
    if (!window.confirm(this.strings.confirmForget)) {
      return;
    }
    this.endSession();
  };

  ChatWidget.prototype.endSession = function () {
    this.clearState();
    this.secret = null;
    this.outbox = [];
    this.stopPolling();
    window.clearTimeout(this.reconnectTimer);
    window.clearInterval(this.resyncTimer);
    this.resyncTimer = null;
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
      this.socket = null;
    }
    this.ready = false;
    delete this.root.dataset.bcReady;
    this.idleAt = this.idleServerAt = 0;
    this.scheduleIdle();
    this.showStart();
  };

  /* ---- data subject rights: download (Art. 15) and deletion (Art. 17) ---- */

  ChatWidget.prototype.exportData = function () {
    var self = this;
    if (!this.secret) {
      return;
    }
    fetch(this.root.dataset.bcExportUrl, { credentials: "omit", headers: this.httpHeaders(false) })
      .then(function (response) {
        if (response.status === 401) {
          self.sessionLost();
          return null;
        }
        if (!response.ok) {
          throw new Error("export failed");
        }
        var disposition = response.headers.get("Content-Disposition") || "";
        var match = /filename="([^"]+)"/.exec(disposition);
        return response.blob().then(function (blob) {
          return { blob: blob, name: match ? match[1] : "buergerchat.json" };
        });
      })
      .then(function (file) {
        if (!file) {
          return;
        }
        var link = document.createElement("a");
        link.href = URL.createObjectURL(file.blob);
        link.download = file.name;
        link.hidden = true;
        self.root.appendChild(link);
        link.click();
        window.setTimeout(function () {
          URL.revokeObjectURL(link.href);
          link.remove();
        }, 1000);
      })
      .catch(function () {
        self.alert(self.strings.exportFailed);
      });
  };

  ChatWidget.prototype.eraseConversation = function () {
    var self = this;
    if (!this.secret || !window.confirm(this.strings.confirmErase)) {
      return;
    }
    fetch(this.root.dataset.bcEraseUrl, { method: "POST", credentials: "omit", headers: this.httpHeaders(false) })
      .then(function (response) {
        if (response.status === 401) {
          self.sessionLost();
          return null;
        }
        return response.json();
      })
      .then(function (frame) {
        if (!frame) {
          return;
        }
        if (frame.type === "erased") {
          self.endSession();
          self.alert(self.strings.erased);
        } else if (frame.type === "erasure_requested") {
          self.alert(self.strings.erasureRequested);
        } else {
          self.alert(frame.detail || self.strings.networkError);
        }
      })
      .catch(function () {
        self.alert(self.strings.networkError);
      });
  };

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
    var text = this.strings.closed;
    if (state.accepts_messages && state.reopen_until) {
      text += " " + format(this.strings.reopenUntil, { date: this.timeFormat.format(new Date(state.reopen_until)) });
    } else if (!state.accepts_messages) {
      text += " " + this.strings.startNew;
    }
    this.closedText.textContent = text;
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
    node.classList.add("bc-message--" + message.sender);
    node.querySelector("[data-bc-author]").textContent = message.author;
    var time = node.querySelector("[data-bc-time]");
    time.dateTime = message.created_at;
    time.textContent = this.timeFormat.format(new Date(message.created_at)).replace(", ", " ");
    node.querySelector("[data-bc-body]").textContent = message.body;
    this.renderAttachment(node, message.attachment);
  };

  /* ---- attachments ---- */

  ChatWidget.prototype.renderAttachment = function (node, attachment) {
    var box = node.querySelector("[data-bc-attachment]");
    box.textContent = "";
    box.hidden = !attachment;
    if (!attachment) {
      return;
    }
    box.dataset.status = attachment.status;
    var meta = document.createElement("span");
    meta.className = "bc-message__attachment-meta";
    if (attachment.status === "clean") {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "bc-link-button";
      button.dataset.bcDownloadUrl = attachment.url;
      button.dataset.bcDownloadName = attachment.name;
      button.textContent = attachment.name;
      button.setAttribute("aria-label", this.strings.download + ": " + attachment.name);
      box.appendChild(button);
      // Released without a malware scan: say so (malware_checked is false).
      meta.textContent =
        attachment.malware_checked === false
          ? " (" + formatSize(attachment.size) + ", " + attachment.status_label + ")"
          : " (" + formatSize(attachment.size) + ")";
    } else {
      var name = document.createElement("span");
      name.textContent = attachment.name;
      box.appendChild(name);
      meta.textContent = " (" + formatSize(attachment.size) + ", " + attachment.status_label + ")";
    }
    box.appendChild(meta);
  };

  ChatWidget.prototype.updateAttachment = function (messageId, attachment) {
    var node = this.list.querySelector('[data-id="' + parseInt(messageId, 10) + '"]');
    if (node) {
      this.renderAttachment(node, attachment);
    }
  };

  ChatWidget.prototype.onListClick = function (event) {
    var button = event.target.closest("[data-bc-download-url]");
    if (!button) {
      return;
    }
    var self = this;
    fetch(button.dataset.bcDownloadUrl, { credentials: "omit", headers: this.httpHeaders(false) })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (frame) {
            throw new Error(frame.detail || self.strings.downloadFailed);
          });
        }
        return response.blob().then(function (blob) {
          saveBlob(blob, filenameFrom(response, button.dataset.bcDownloadName));
        });
      })
      .catch(function (error) {
        self.alert(error && error.message ? error.message : self.strings.downloadFailed);
      });
  };

  ChatWidget.prototype.setUploadError = function (text) {
    this.uploadError.textContent = text || "";
    if (text) {
      this.fileInput.setAttribute("aria-invalid", "true");
    } else {
      this.fileInput.removeAttribute("aria-invalid");
    }
  };

  ChatWidget.prototype.onDragOver = function (event) {
    event.preventDefault();
    this.chatBox.classList.add("bc-drop-over");
  };

  ChatWidget.prototype.onDragLeave = function () {
    this.chatBox.classList.remove("bc-drop-over");
  };

  ChatWidget.prototype.onDrop = function (event) {
    event.preventDefault();
    this.onDragLeave();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      this.fileInput.files = event.dataTransfer.files;
      this.onUploadSubmit(event);
    }
  };

  ChatWidget.prototype.onUploadSubmit = function (event) {
    event.preventDefault();
    var file = this.fileInput.files[0];
    if (!file) {
      this.setUploadError(this.strings.chooseFile);
      this.fileInput.focus();
      return;
    }
    if (this.maxAttachmentBytes && file.size > this.maxAttachmentBytes) {
      this.setUploadError(this.strings.fileTooLarge);
      this.fileInput.focus();
      return;
    }
    this.setUploadError("");
    // One client id per file until it is stored or refused, so a retry is stored once.
    this.uploadClientId = this.uploadClientId || uuid4();
    var data = new FormData();
    data.append("client_id", this.uploadClientId);
    data.append("file", file, file.name);
    var self = this;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", this.root.dataset.bcUploadUrl);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader(SECRET_HEADER, this.secret);
    xhr.withCredentials = false;
    this.progress.hidden = false;
    this.progress.value = 0;
    this.uploadButton.disabled = true;
    this.announce(this.strings.uploading);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        self.progress.value = Math.round((e.loaded / e.total) * 100);
      }
    };
    xhr.onload = function () {
      self.uploadButton.disabled = false;
      self.progress.hidden = true;
      var frame = null;
      try {
        frame = JSON.parse(xhr.responseText);
      } catch (e) {
        frame = null;
      }
      if ((xhr.status === 200 || xhr.status === 201) && frame) {
        self.uploadClientId = null;
        self.uploadForm.reset();
        self.onFrame(frame);
        self.announce(self.strings.uploaded);
        return;
      }
      if (xhr.status === 401) {
        self.sessionLost();
        return;
      }
      if (!(frame && RETRYABLE[frame.code])) {
        self.uploadClientId = null;
      }
      self.announce("");
      self.setUploadError((frame && frame.detail) || self.strings.networkError);
      self.fileInput.focus();
    };
    xhr.onerror = function () {
      self.uploadButton.disabled = false;
      self.progress.hidden = true;
      self.announce("");
      self.setUploadError(self.strings.networkError);
    };
    xhr.send(data);
  };

  /* ---- transcript ---- */

  ChatWidget.prototype.downloadTranscript = function (attempt) {
    var self = this;
    if (!this.secret) {
      return;
    }
    fetch(this.root.dataset.bcTranscriptUrl, { credentials: "omit", headers: this.httpHeaders(false) })
      .then(function (response) {
        if (response.status === 202) {
          self.announce(self.strings.pdfPreparing);
          if (attempt < 60) {
            window.setTimeout(self.downloadTranscript.bind(self, attempt + 1), 2000);
          }
          return null;
        }
        if (response.status === 401) {
          self.sessionLost();
          return null;
        }
        if (!response.ok) {
          throw new Error(self.strings.downloadFailed);
        }
        var reference = self.root.querySelector("[data-bc-reference]").textContent || "Verlauf";
        return response.blob().then(function (blob) {
          saveBlob(blob, filenameFrom(response, reference + ".pdf"));
          self.announce(self.strings.pdfReady);
        });
      })
      .catch(function () {
        self.alert(self.strings.downloadFailed);
      });
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
      this.removeFromOutbox(message.client_id);
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
    if (this.socket && this.ready) {
      this.socket.send(JSON.stringify(frame));
    } else if (this.pollTimer) {
      fetch(this.root.dataset.bcReadUrl, {
        method: "POST",
        credentials: "omit",
        headers: this.httpHeaders(true),
        body: JSON.stringify(frame),
      }).catch(function () {});
    }
  };

  /* ---- typing, both ways ---- */

  ChatWidget.prototype.onTyped = function () {
    if (!this.socket || !this.ready) {
      return;
    }
    var now = Date.now();
    if (now - this.typingSentAt > TYPING_REPEAT_MS) {
      this.typingSentAt = now;
      this.socket.send(JSON.stringify({ v: PROTOCOL, type: "typing", active: true }));
    }
    window.clearTimeout(this.typingIdleTimer);
    this.typingIdleTimer = window.setTimeout(this.stopTyping.bind(this), TYPING_IDLE_MS);
  };

  ChatWidget.prototype.stopTyping = function () {
    window.clearTimeout(this.typingIdleTimer);
    if (this.typingSentAt && this.socket && this.ready) {
      this.socket.send(JSON.stringify({ v: PROTOCOL, type: "typing", active: false }));
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
    if (this.socket && this.ready) {
      this.socket.send(JSON.stringify(frame));
      return;
    }
    var self = this;
    fetch(this.root.dataset.bcRatingUrl, {
      method: "POST",
      credentials: "omit",
      headers: this.httpHeaders(true),
      body: JSON.stringify(frame),
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        self.onFrame(answer);
      })
      .catch(function () {
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
    node.querySelector("[data-bc-body]").textContent = item.body;
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

  /* ---- sending ---- */

  ChatWidget.prototype.onInputKeydown = function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      this.sendForm.requestSubmit();
    }
  };

  ChatWidget.prototype.setSendError = function (text) {
    this.sendError.textContent = text || "";
    if (text) {
      this.input.setAttribute("aria-invalid", "true");
    } else {
      this.input.removeAttribute("aria-invalid");
    }
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
    this.outbox.push(item);
    this.saveState();
    this.renderPending(item);
    this.input.value = "";
    this.stopTyping();
    this.deliver(item);
  };

  ChatWidget.prototype.removeFromOutbox = function (clientId) {
    var before = this.outbox.length;
    this.outbox = this.outbox.filter(function (item) {
      return item.client_id !== clientId;
    });
    if (this.outbox.length !== before) {
      this.saveState();
    }
  };

  ChatWidget.prototype.deliver = function (item) {
    if (this.socket && this.ready) {
      this.socket.send(JSON.stringify({ v: PROTOCOL, type: "message", client_id: item.client_id, body: item.body }));
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
    this.outbox.slice().forEach(this.deliver, this);
  };

  ChatWidget.prototype.onAck = function (frame) {
    this.retryFailures = 0;
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
        var item = this.outbox.find(function (entry) {
          return entry.client_id === frame.ref;
        });
        this.refusedText = item ? item.body : "";
        if (this.state) {
          this.state = Object.assign({}, this.state, { status: "closed", accepts_messages: false, reopen_until: null });
          this.renderClosed();
        }
      }
      this.removeFromOutbox(frame.ref);
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
    if (RETRYABLE[frame.code] && !this.ready && this.socket) {
      // The server could not load the conversation: reconnect with backoff.
      this.announce(frame.detail);
      this.socket.close();
      return;
    }
    this.alert(frame.detail);
  };

  ChatWidget.prototype.scheduleRetry = function () {
    var self = this;
    if (this.retryTimer) {
      return;
    }
    this.retryFailures = (this.retryFailures || 0) + 1;
    this.retryTimer = window.setTimeout(function () {
      self.retryTimer = null;
      self.flushOutbox();
    }, backoff(this.retryFailures));
  };

  ChatWidget.prototype.sessionLost = function () {
    this.endSession();
    this.alert(this.strings.sessionLost);
  };

  /* ---- WebSocket ---- */

  ChatWidget.prototype.connect = function () {
    if (!this.secret) {
      return;
    }
    if (!("WebSocket" in window)) {
      this.startPolling();
      return;
    }
    var self = this;
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var lang = encodeURIComponent(document.documentElement.lang || "");
    var socket;
    try {
      socket = new WebSocket(scheme + "//" + window.location.host + this.root.dataset.bcSocketPath + "?lang=" + lang);
    } catch (e) {
      this.startPolling();
      return;
    }
    var opened = false;
    this.socket = socket;
    socket.onopen = function () {
      opened = true;
      self.everOpened = true;
      socket.send(JSON.stringify({ v: PROTOCOL, type: "auth", secret: self.secret, after: self.lastId }));
    };
    socket.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      self.onFrame(frame);
    };
    socket.onclose = function (event) {
      if (self.socket === socket) {
        self.socket = null;
      }
      self.ready = false;
      delete self.root.dataset.bcReady;
      if (!self.secret) {
        return;
      }
      if (event.code === 4429) {
        self.sessionLost();
        return;
      }
      self.failures += 1;
      if (!opened && self.failures >= 2) {
        self.startPolling();
      } else if (!self.pollTimer) {
        self.announce(self.strings.offline);
      }
      window.clearTimeout(self.reconnectTimer);
      self.reconnectTimer = window.setTimeout(self.connect.bind(self), backoff(self.failures));
    };
  };

  ChatWidget.prototype.onFrame = function (frame) {
    switch (frame.type) {
      case "ready":
        var wasReconnect = this.failures > 0;
        if (this.resuming) {
          this.resuming = false;
          this.saveState();
        }
        this.ready = true;
        this.root.dataset.bcReady = "";
        this.startResync();
        this.failures = 0;
        this.stopPolling();
        this.renderConversation(frame.conversation);
        this.addMessages(frame.messages);
        if (frame.availability && !this.root.hasAttribute("data-bc-session")) {
          this.renderAvailability(frame.availability);
        }
        this.renderQueue(frame.queue);
        if (wasReconnect) {
          this.announce(this.strings.online);
        }
        this.flushOutbox();
        this.scheduleRead();
        break;
      case "message":
        this.addMessage(frame.message);
        break;
      case "messages":
        this.addMessages(frame.messages);
        break;
      case "attachment":
        this.updateAttachment(frame.message, frame.attachment);
        break;
      case "ack":
        this.onAck(frame);
        break;
      case "conversation":
        this.renderConversation(frame.conversation);
        break;
      case "read":
        this.staffRead = Math.max(this.staffRead, frame.up_to);
        this.showReadReceipts();
        break;
      case "typing":
        this.showTyping(frame);
        break;
      case "rated":
        this.onRated(frame);
        break;
      case "extended":
        this.onExtended(frame);
        break;
      case "availability":
        // A session's widget shows the session's state, not the department's.
        if (!this.root.hasAttribute("data-bc-session")) {
          this.renderAvailability(frame.availability);
        }
        break;
      case "queue":
        this.renderQueue(frame.queue);
        break;
      case "error":
        this.onError(frame);
        break;
      case "deleted":
        this.endSession();
        this.alert(this.strings.deleted);
        break;
      default:
        break;
    }
  };

  /* Periodic resync: the channel layer may drop events (or forget groups after a
     Redis restart); the database is the truth, so ask it for anything newer. */
  ChatWidget.prototype.startResync = function () {
    var self = this;
    if (this.resyncTimer) {
      return;
    }
    this.resyncTimer = window.setInterval(function () {
      if (self.socket && self.ready) {
        self.socket.send(JSON.stringify({ v: PROTOCOL, type: "sync", after: self.lastId }));
      }
      if (self.outbox.length) {
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
    this.announce(this.strings.fallback);
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
    fetch(url + "?after=" + this.lastId, { credentials: "omit", headers: this.httpHeaders(false) })
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

  ChatWidget.prototype.postHttp = function (item) {
    var self = this;
    fetch(this.root.dataset.bcMessagesUrl, {
      method: "POST",
      credentials: "omit",
      headers: this.httpHeaders(true),
      body: JSON.stringify({ v: PROTOCOL, type: "message", client_id: item.client_id, body: item.body }),
    })
      .then(function (response) {
        return response.json();
      })
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

  /* ---- idle close: warned 20 s ahead, "continue chat" extends (WCAG 2.2.1) ---- */

  ChatWidget.prototype.idleFromConversation = function (conversation) {
    if (typeof conversation.idle_close_minutes === "number") {
      this.idleMinutes = conversation.idle_close_minutes;
    }
    if ("idle_close_at" in conversation) {
      this.idleServerAt = conversation.idle_close_at ? new Date(conversation.idle_close_at).getTime() : 0;
      this.idleAt = this.idleServerAt;
    }
    this.scheduleIdle();
  };

  /* The server's rule (idle.py) followed live: a staff answer starts the clock, a
     message of the citizen stops it. Conversation frames bring the server's value. */
  ChatWidget.prototype.idleFromMessage = function (message) {
    if (message.sender === "citizen") {
      this.idleAt = 0;
    } else if (message.sender === "staff" && this.idleMinutes) {
      this.idleAt = Math.max(new Date(message.created_at).getTime() + this.idleMinutes * 60000, this.idleServerAt);
    } else {
      return;
    }
    this.scheduleIdle();
  };

  ChatWidget.prototype.scheduleIdle = function () {
    window.clearTimeout(this.idleWarnTimer);
    window.clearTimeout(this.idleCloseTimer);
    var closed = !this.state || this.state.status === "closed";
    if (!this.idleAt || closed || !this.secret) {
      this.hideIdleWarning();
      return;
    }
    var left = this.idleAt - Date.now();
    if (left > IDLE_WARNING_MS) {
      this.hideIdleWarning();
      this.idleWarnTimer = window.setTimeout(this.showIdleWarning.bind(this), left - IDLE_WARNING_MS);
    } else {
      this.showIdleWarning();
    }
    // At the deadline ask the server, which closes the conversation if it is due.
    this.idleCloseTimer = window.setTimeout(this.checkIdle.bind(this), Math.max(left, 0) + 1000);
  };

  ChatWidget.prototype.showIdleWarning = function () {
    var actions = this.idleBox.querySelector("[data-bc-idle-actions]");
    if (!actions.hidden) {
      return;
    }
    var seconds = Math.max(1, Math.round((this.idleAt - Date.now()) / 1000));
    actions.hidden = false;
    this.idleBox.querySelector("[data-bc-idle-text]").textContent = format(this.strings.idleWarning, { seconds: seconds });
  };

  ChatWidget.prototype.hideIdleWarning = function () {
    var actions = this.idleBox.querySelector("[data-bc-idle-actions]");
    var hadFocus = actions.contains(document.activeElement);
    actions.hidden = true;
    this.idleBox.querySelector("[data-bc-idle-text]").textContent = "";
    if (hadFocus && !this.sendForm.hidden) {
      this.input.focus();
    }
  };

  ChatWidget.prototype.checkIdle = function () {
    if (this.socket && this.ready) {
      this.socket.send(JSON.stringify({ v: PROTOCOL, type: "ping" }));
    } else if (this.pollTimer) {
      this.poll(false);
    }
  };

  ChatWidget.prototype.extendIdle = function () {
    var frame = { v: PROTOCOL, type: "extend" };
    if (this.socket && this.ready) {
      this.socket.send(JSON.stringify(frame));
      return;
    }
    var self = this;
    fetch(this.root.dataset.bcExtendUrl, {
      method: "POST",
      credentials: "omit",
      headers: this.httpHeaders(true),
      body: JSON.stringify(frame),
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        self.onFrame(answer);
      })
      .catch(function () {
        self.alert(self.strings.networkError);
      });
  };

  ChatWidget.prototype.onExtended = function (frame) {
    this.hideIdleWarning();
    this.renderConversation(frame.conversation);
    this.announce(this.strings.idleExtended);
  };

  function init() {
    document.querySelectorAll("[data-bc-widget]").forEach(function (root) {
      if (!root.buergerchat) {
        root.buergerchat = new ChatWidget(root);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
