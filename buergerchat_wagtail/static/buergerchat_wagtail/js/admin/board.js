/*
 * A department's team board ("Leitung"): asks the staff socket for the team's
 * presence changes (`watch_team`) and reloads its tables on a `presence` frame,
 * on a changed conversation of the department (`conversation` frame), after a
 * reconnect, and every 30 s. A reload waits while the supervisor chooses an assignee
 * and keeps an assignee picked but not yet submitted.
 */
import { staffSocket } from "../lib/socket.js";
import { refreshFragment } from "../lib/shortcuts.js";

export function boardController(Controller) {
  return class BoardController extends Controller {
    static values = { socket: String, department: Number, fragmentUrl: String, updated: String };
    static targets = ["results", "status"];

    connect() {
      this.socket = staffSocket(this.socketValue);
      this.unsubscribe = this.socket.subscribe({
        frame: (frame) => {
          if (frame.type === "presence" && frame.department === this.departmentValue) {
            this.refresh();
          } else if (frame.type === "conversation" && this.concerns(frame.conversation)) {
            this.refresh();
          }
        },
        open: (reconnect) => {
          // Presence frames come only to sockets that ask (again after each reconnect).
          this.socket.send({ type: "watch_team", department: this.departmentValue });
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

    /** Assignees the supervisor picked but has not submitted yet, by select id. */
    choices() {
      const chosen = new Map();
      this.resultsTarget.querySelectorAll("select").forEach((select) => {
        const option = select.selectedOptions[0];
        if (option && !option.defaultSelected) {
          chosen.set(select.id, select.value);
        }
      });
      return chosen;
    }

    /** A refresh must not undo a choice (the next click would submit the old assignee). */
    restore(chosen) {
      chosen.forEach((value, id) => {
        const select = document.getElementById(id);
        if (select && Array.from(select.options).some((option) => option.value === value)) {
          select.value = value;
        }
      });
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
        const chosen = this.choices();
        this.resultsTarget.innerHTML = html;
        this.restore(chosen);
        this.statusTarget.textContent = this.updatedValue;
      });
    }
  };
}
