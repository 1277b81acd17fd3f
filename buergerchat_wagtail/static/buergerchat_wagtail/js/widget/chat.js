/*
 * The citizen widget's core: its elements, the state kept in localStorage (only
 * after the citizen started a chat), announcements and the frames it receives.
 * The other methods come from the modules installed below.
 */
import { Outbox } from "../lib/outbox.js";
import { dateTimeFormat, loadStored, removeStored, saveStored } from "../lib/util.js";
import { installAttachments } from "./attachments.js";
import { installIdle } from "./idle.js";
import { installNotice, takeResumeToken } from "./notice.js";
import { installSession } from "./session.js";
import { installThread } from "./thread.js";
import { installTransport } from "./transport.js";

const STORAGE_PREFIX = "buergerchat.v1.";

export function ChatWidget(root) {
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
  // Status regions (role=status), each next to the control whose result it reports.
  this.statusRegions = {};
  root.querySelectorAll("[data-bc-status]").forEach(function (region) {
    this.statusRegions[region.dataset.bcStatus] = region;
  }, this);
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
  this.timeFormat = dateTimeFormat();
  this.secret = null;
  this.outbox = new Outbox(this.saveState.bind(this));
  this.lastId = 0;
  this.nodes = new Map(); // client_id -> <li>
  this.seenIds = new Set();
  this.socket = this.createSocket();
  this.ready = false;
  this.pollTimer = null;
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
  this.startBox.addEventListener("input", this.updateNotifyBox.bind(this));
  this.updateNotifyBox();
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
  // A notice's link (#resume=…): taken from the address at once, so it stays in no
  // history entry or bookmark. A session kept on this device wins; the link stays unused.
  var linkToken = this.preview ? null : takeResumeToken();
  if (saved && saved.secret && !this.preview) {
    this.secret = saved.secret;
    this.outbox.replace(saved.outbox);
    this.showChat(false);
    this.outbox.items.forEach(this.renderPending, this);
    this.connect();
  } else if (linkToken) {
    this.resumeWithLink(linkToken);
  }
}

/* ---- browser storage (only after the citizen started a chat) ---- */

ChatWidget.prototype.readState = function () {
  return loadStored("localStorage", this.storageKey);
};

ChatWidget.prototype.saveState = function () {
  saveStored("localStorage", this.storageKey, { secret: this.secret, outbox: this.outbox.items });
};

ChatWidget.prototype.clearState = function () {
  removeStored("localStorage", this.storageKey);
};

/* ---- announcements ---- */

/** Show and announce ``text`` in the status region ``where`` ("chat": the top of the
 * conversation, "code", "upload", "transcript", "idle"); the other regions are cleared,
 * so each message appears once, next to its cause. */
ChatWidget.prototype.announce = function (text, where) {
  var target = this.statusRegions[where] || this.statusRegions.chat;
  Object.keys(this.statusRegions).forEach(function (name) {
    var region = this.statusRegions[name];
    if (region !== target && region.textContent) {
      region.textContent = "";
    }
  }, this);
  if (target) {
    target.textContent = text || "";
  }
};

ChatWidget.prototype.alert = function (text) {
  this.alertBox.textContent = text || "";
};

ChatWidget.prototype.onFrame = function (frame) {
  switch (frame.type) {
    case "ready":
      var wasReconnect = this.socket.failures > 0;
      if (this.resuming) {
        this.resuming = false;
        this.saveState();
      }
      this.ready = true;
      this.root.dataset.bcReady = "";
      this.startResync();
      this.socket.failures = 0;
      this.stopPolling();
      this.renderConversation(frame.conversation);
      this.addMessages(frame.messages);
      if (frame.availability && !this.root.hasAttribute("data-bc-session")) {
        this.renderAvailability(frame.availability);
      }
      this.renderQueue(frame.queue);
      if (wasReconnect) {
        this.announce(this.strings.online, "chat");
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

installSession(ChatWidget);
installThread(ChatWidget);
installAttachments(ChatWidget);
installTransport(ChatWidget);
installIdle(ChatWidget);
installNotice(ChatWidget);
