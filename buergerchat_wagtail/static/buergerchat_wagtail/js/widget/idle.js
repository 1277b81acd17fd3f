/*
 * The citizen widget: idle close, warned 20 s ahead; "continue chat" extends (WCAG 2.2.1).
 */
import { PROTOCOL } from "../lib/socket.js";
import { format } from "../lib/util.js";

const IDLE_WARNING_MS = 20000; // WCAG 2.2.1: warn this long before the idle close

export function installIdle(ChatWidget) {
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
    if (this.ready) {
      this.socket.send({ type: "ping" });
    } else if (this.pollTimer) {
      this.poll(false);
    }
  };

  ChatWidget.prototype.extendIdle = function () {
    var self = this;
    this.sendOrPost({ v: PROTOCOL, type: "extend" }, this.root.dataset.bcExtendUrl, function () {
      self.alert(self.strings.networkError);
    });
  };

  ChatWidget.prototype.onExtended = function (frame) {
    this.hideIdleWarning();
    this.renderConversation(frame.conversation);
    this.announce(this.strings.idleExtended, "idle");
  };
}
