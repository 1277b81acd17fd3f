/*
 * A department's team board ("Leitung"): reloads its tables when the staff socket
 * reports a presence change (`presence` frame) or a changed conversation of the
 * department (`conversation` frame), after a reconnect, and every 30 s. A reload
 * waits while the supervisor is choosing a new assignee.
 */
import { staffSocket } from "../lib/socket.js";
import { refreshFragment } from "../lib/shortcuts.js";

export function boardController(Controller) {
  return class BoardController extends Controller {
    static values = { socket: String, department: Number, fragmentUrl: String, updated: String };
    static targets = ["results", "status"];

    connect() {
      this.unsubscribe = staffSocket(this.socketValue).subscribe({
        frame: (frame) => {
          if (frame.type === "presence" && frame.department === this.departmentValue) {
            this.refresh();
          } else if (frame.type === "conversation" && this.concerns(frame.conversation)) {
            this.refresh();
          }
        },
        open: (reconnect) => {
          if (reconnect) {
            this.refresh();
          }
        },
      });
      this.onFocusOut = () => {
        if (this.pending) {
          window.setTimeout(() => this.refresh(), 0);
        }
      };
      this.resultsTarget.addEventListener("focusout", this.onFocusOut);
      this.timer = window.setInterval(() => this.refresh(), 30000);
    }

    disconnect() {
      this.unsubscribe();
      this.resultsTarget.removeEventListener("focusout", this.onFocusOut);
      window.clearInterval(this.timer);
    }

    concerns(conversation) {
      return !conversation || conversation.department_id === undefined || conversation.department_id === this.departmentValue;
    }

    busy() {
      const active = document.activeElement;
      return Boolean(active && active.tagName === "SELECT" && this.resultsTarget.contains(active));
    }

    refresh() {
      if (this.busy()) {
        this.pending = true;
        return;
      }
      this.pending = false;
      refreshFragment(this.fragmentUrlValue, (html) => {
        if (html === this.lastHtml || this.busy()) {
          this.pending = this.busy();
          return;
        }
        this.lastHtml = html;
        this.resultsTarget.innerHTML = html;
        this.statusTarget.textContent = this.updatedValue;
      });
    }
  };
}
