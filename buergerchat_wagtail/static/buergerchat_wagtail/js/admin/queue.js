/* A consultation session's queue: reloads when the queue changes (host view). */
import { staffSocket } from "../lib/socket.js";
import { refreshFragment } from "../lib/shortcuts.js";

export function queueController(Controller) {
  return class QueueController extends Controller {
    static values = { socket: String, session: Number, fragmentUrl: String, updated: String };
    static targets = ["results", "status"];

    connect() {
      this.unsubscribe = staffSocket(this.socketValue).subscribe({
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
      this.unsubscribe();
      window.clearInterval(this.timer);
    }

    refresh() {
      refreshFragment(this.fragmentUrlValue, (html) => {
        if (html === this.lastHtml) {
          return;
        }
        this.lastHtml = html;
        const focused = document.activeElement && document.activeElement.closest("[data-bc-queue-target=results]");
        this.resultsTarget.innerHTML = html;
        this.statusTarget.textContent = this.updatedValue;
        const again = focused ? this.resultsTarget.querySelector("[data-bc-take-next]") : null;
        if (again) {
          again.focus();
        }
      });
    }
  };
}
