/* File upload in a conversation (data-controller="bc-upload"): button or drag and drop, with progress. */
import { fieldError, upload, uuid4 } from "../lib/util.js";

export function uploadController(Controller) {
  return class UploadController extends Controller {
    static values = { url: String, maxBytes: Number, tooLarge: String, uploading: String, uploaded: String, networkError: String };
    static targets = ["clientId", "fileInput", "progress", "error", "button"];
    static outlets = ["bc-conversation"];

    setError(text) {
      fieldError(this.fileInputTarget, this.errorTarget, text);
    }

    fileChosen() {
      this.setError("");
    }

    dragOver(event) {
      event.preventDefault();
      this.element.classList.add("bc-upload--over");
    }

    dragLeave() {
      this.element.classList.remove("bc-upload--over");
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
      const conversation = this.bcConversationOutlet;
      const file = this.fileInputTarget.files[0];
      if (!file || file.size > this.maxBytesValue) {
        this.setError(file ? this.tooLargeValue : this.errorTarget.dataset.choose);
        this.fileInputTarget.focus();
        return;
      }
      this.setError("");
      this.buttonTarget.disabled = true;
      conversation.say(this.uploadingValue);
      upload({
        url: this.urlValue,
        data: new FormData(this.element),
        headers: { "X-Requested-With": "XMLHttpRequest" },
        progress: this.progressTarget,
        done: (status, frame) => {
          this.buttonTarget.disabled = false;
          if ((status === 200 || status === 201) && frame) {
            conversation.receive(frame);
            this.element.reset();
            this.clientIdTarget.value = uuid4();
            conversation.say(this.uploadedValue);
          } else {
            this.setError((frame && frame.detail) || this.networkErrorValue);
            conversation.say("");
            this.fileInputTarget.focus();
          }
        },
        failed: () => {
          this.buttonTarget.disabled = false;
          this.setError(this.networkErrorValue);
        },
      });
    }
  };
}
