/*
 * E-mail notices of answers (docs/protocol.md, "E-mail notices and the resume link"):
 * the start form's notice box, offered only with an e-mail address, and the one-time
 * link of a notice (#resume=…), exchanged once for an access code.
 */

var resumeTokenTaken = false;

/* The token of a notice's link, from the URL fragment (never sent to a server in a
   URL); the first widget on the page takes it and the fragment is removed. */
export function takeResumeToken() {
  if (resumeTokenTaken) {
    return null;
  }
  var match = /^#resume=([A-Za-z0-9_-]{1,200})$/.exec(window.location.hash || "");
  if (!match) {
    return null;
  }
  resumeTokenTaken = true;
  window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
  return match[1];
}

export function installNotice(ChatWidget) {
  /* ---- the one-time link of an e-mail notice: exchanged once for a code ---- */

  ChatWidget.prototype.resumeWithLink = function (token) {
    var self = this;
    var url = this.root.dataset.bcResumeLinkUrl;
    if (!url) {
      return;
    }
    fetch(url, {
      method: "POST",
      credentials: "omit",
      cache: "no-store",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify({ token: token }),
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (result.ok && result.data.secret) {
          self.secret = result.data.secret;
          self.resuming = true;
          self.outbox.replace([]);
          self.showChat(false);
          self.announce(self.strings.resumedByLink);
          self.connect();
        } else {
          self.resumeLinkFailed(result.data && result.data.code === "resume_link_invalid" ? self.strings.resumeLinkInvalid : result.data.detail);
        }
      })
      .catch(function () {
        self.resumeLinkFailed(self.strings.networkError);
      });
  };

  ChatWidget.prototype.resumeLinkFailed = function (text) {
    if (this.resumeBox) {
      this.resumeBox.open = true;
      this.resumeError.textContent = text || this.strings.resumeLinkInvalid;
      this.resumeInput.focus();
    } else {
      this.alert(text || this.strings.resumeLinkInvalid);
    }
  };

  /* ---- the notice box of the start form: offered only with an e-mail address ---- */

  ChatWidget.prototype.updateNotifyBox = function () {
    var email = this.startBox.querySelector("[data-bc-email]");
    var box = this.startBox.querySelector("[data-bc-notify]");
    if (!email || !box) {
      return;
    }
    // The field's row as crispy-forms renders it (label, box and consent text).
    var wrapper = box.closest(".mb-3") || box.closest(".form-check") || box.parentElement;
    var offered = email.value.trim() !== "";
    wrapper.hidden = !offered;
    if (!offered) {
      box.checked = false;
    }
  };
}
