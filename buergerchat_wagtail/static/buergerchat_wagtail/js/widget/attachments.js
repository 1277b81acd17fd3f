/*
 * The citizen widget: attachments (download with the secret in a header, upload with progress).
 */
import { attachmentMeta, fieldError, formatSize, upload, uuid4 } from "../lib/util.js";
import { RETRYABLE, SECRET_HEADER } from "./transport.js";

export function filenameFrom(response, fallback) {
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
export function saveBlob(blob, filename) {
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

export function installAttachments(ChatWidget) {
  /* ---- attachments ---- */

  ChatWidget.prototype.renderAttachment = function (node, attachment) {
    var box = node.querySelector("[data-bc-attachment]");
    box.textContent = "";
    box.hidden = !attachment;
    if (!attachment) {
      return;
    }
    box.dataset.status = attachment.status;
    if (attachment.status === "clean" && attachment.thumbnail) {
      box.appendChild(this.thumbnailImage(attachment));
    }
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
      meta.textContent = " (" + attachmentMeta(attachment) + ")";
    } else {
      var name = document.createElement("span");
      name.textContent = attachment.name;
      box.appendChild(name);
      meta.textContent = " (" + formatSize(attachment.size) + ", " + attachment.status_label + ")";
    }
    box.appendChild(meta);
  };

  /*
   * An image's preview. The secret travels in a header, which an <img> cannot
   * send: the preview is fetched and shown as a data: URL (CSP: img-src data:).
   */
  ChatWidget.prototype.thumbnailImage = function (attachment) {
    var image = document.createElement("img");
    image.className = "bc-message__thumbnail";
    image.alt = attachment.name;
    image.width = attachment.thumbnail.width;
    image.height = attachment.thumbnail.height;
    image.hidden = true;
    this.thumbnails = this.thumbnails || new Map();
    var known = this.thumbnails.get(attachment.id);
    if (known) {
      image.src = known;
      image.hidden = false;
      return image;
    }
    var self = this;
    this.fetchWithSecret(attachment.thumbnail.url)
      .then(function (response) {
        return response.ok ? response.blob() : null;
      })
      .then(function (blob) {
        if (!blob || blob.type.indexOf("image/") !== 0) {
          return;
        }
        var reader = new FileReader();
        reader.onload = function () {
          self.thumbnails.set(attachment.id, reader.result);
          image.src = reader.result;
          image.hidden = false;
        };
        reader.readAsDataURL(blob);
      })
      .catch(function () {
        /* the link below still offers the file */
      });
    return image;
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
    this.fetchWithSecret(button.dataset.bcDownloadUrl)
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
    fieldError(this.fileInput, this.uploadError, text);
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
    var headers = {};
    headers[SECRET_HEADER] = this.secret;
    this.uploadButton.disabled = true;
    this.announce(this.strings.uploading, "upload");
    upload({
      url: this.root.dataset.bcUploadUrl,
      data: data,
      headers: headers,
      progress: this.progress,
      done: function (status, frame) {
        self.uploadButton.disabled = false;
        if ((status === 200 || status === 201) && frame) {
          self.uploadClientId = null;
          self.uploadForm.reset();
          self.onFrame(frame);
          self.announce(self.strings.uploaded, "upload");
          return;
        }
        if (status === 401) {
          self.sessionLost();
          return;
        }
        if (!(frame && RETRYABLE[frame.code])) {
          self.uploadClientId = null;
        }
        self.announce("", "upload");
        self.setUploadError((frame && frame.detail) || self.strings.networkError);
        self.fileInput.focus();
      },
      failed: function () {
        self.uploadButton.disabled = false;
        self.announce("", "upload");
        self.setUploadError(self.strings.networkError);
      },
    });
  };
}
