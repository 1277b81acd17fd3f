/*
 * The citizen widget: availability, the consultation queue, the conversation code and
 * resuming, the start form, ending a session, data subject rights and the transcript.
 */
import { filenameFrom, saveBlob } from "./attachments.js";

export function installSession(ChatWidget) {
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
    if (this.ready) {
      this.socket.send({ type: "leave_queue" });
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
        self.announce(self.strings.codeCopied, "code");
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
    this.outbox.replace([]);
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
          self.announce(self.strings.started, "chat");
          self.connect();
        } else if (result.status === 409) {
          self.alert(result.data.detail);
          if (result.data.availability) {
            self.renderAvailability(result.data.availability);
          }
        } else if (result.data && result.data.form_html) {
          self.startBox.innerHTML = result.data.form_html;
          self.updateNotifyBox();
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
      this.updateNotifyBox();
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
    this.outbox.replace([]);
    this.stopPolling();
    window.clearInterval(this.resyncTimer);
    this.resyncTimer = null;
    this.socket.stop();
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
    this.fetchWithSecret(this.root.dataset.bcExportUrl)
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

  /* ---- transcript ---- */

  ChatWidget.prototype.downloadTranscript = function (attempt) {
    var self = this;
    if (!this.secret) {
      return;
    }
    // The transcript is written in the page's language.
    var lang = encodeURIComponent(document.documentElement.lang || "");
    this.fetchWithSecret(this.root.dataset.bcTranscriptUrl + "?lang=" + lang)
      .then(function (response) {
        if (response.status === 202) {
          self.announce(self.strings.pdfPreparing, "transcript");
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
          self.announce(self.strings.pdfReady, "transcript");
        });
      })
      .catch(function () {
        self.alert(self.strings.downloadFailed);
      });
  };
}
