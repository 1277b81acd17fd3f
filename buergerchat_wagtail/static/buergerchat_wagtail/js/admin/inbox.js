/* The inbox: reloads its listing when a conversation of the user's departments
   changes (with the filters the address shows now: a saved view or the filter drawer),
   keeping the rows selected for a bulk action; j/k move through the list, n opens the
   next waiting conversation. */
import { staffSocket } from "../lib/socket.js";
import { onHelpKey, refreshFragment, shortcutKey } from "../lib/shortcuts.js";

export function inboxController(Controller) {
  return class InboxController extends Controller {
    static values = { socket: String, resultsUrl: String, updated: String, nextUrl: String, resync: { type: Number, default: 15 } };
    static targets = ["status", "next", "help"];

    connect() {
      this.refreshTimer = null;
      this.onKey = this.onKey.bind(this);
      window.addEventListener("keydown", onHelpKey, true);
      document.addEventListener("keydown", this.onKey);
      this.socket = staffSocket(this.socketValue);
      this.unsubscribe = this.socket.subscribe({
        frame: (frame) => {
          if (frame.type === "conversation") {
            this.scheduleRefresh(frame.conversation);
          } else if (frame.type === "deleted") {
            this.scheduleRefresh(null);
          }
        },
        open: (reconnect) => {
          if (reconnect) {
            this.scheduleRefresh(null);
          }
        },
      });
      // Re-join groups (ping) and refresh the listing now and then: events may be lost.
      this.resyncTimer = window.setInterval(() => {
        this.socket.send({ type: "ping" });
        this.scheduleRefresh(null);
      }, this.resyncValue * 1000);
    }

    disconnect() {
      this.unsubscribe();
      window.clearTimeout(this.refreshTimer);
      window.clearInterval(this.resyncTimer);
      window.removeEventListener("keydown", onHelpKey, true);
      document.removeEventListener("keydown", this.onKey);
    }

    rows() {
      return Array.from(this.element.querySelectorAll("#listing-results tbody tr")).filter((row) => row.querySelector("a"));
    }

    onKey(event) {
      const key = shortcutKey(event);
      if (key === "j" || key === "k") {
        const rows = this.rows();
        if (!rows.length) {
          return;
        }
        const current = rows.findIndex((row) => row.contains(document.activeElement));
        let next = key === "j" ? Math.min(rows.length - 1, current + 1) : Math.max(0, current - 1);
        if (current === -1) {
          next = 0;
        }
        event.preventDefault();
        rows[next].querySelector("a").focus();
      } else if (key === "n") {
        event.preventDefault();
        this.nextTarget.click();
      }
    }

    scheduleRefresh(conversation) {
      window.clearTimeout(this.refreshTimer);
      this.refreshTimer = window.setTimeout(() => this.refresh(conversation), 250);
    }

    resultsUrl() {
      // The filters shown now: the drawer and saved views change the address.
      const url = new URL(this.resultsUrlValue, window.location.href);
      url.search = window.location.search;
      return url.pathname + url.search;
    }

    selectedIds(results) {
      return Array.from(results.querySelectorAll("input[data-bulk-action-checkbox]:checked")).map((box) => box.dataset.objectId);
    }

    /* Wagtail's bulk actions (bulk-actions.js) rebind to new rows on "w-swap:success"
       and forget the selection; select again what was selected and is still listed. */
    reselect(results, ids) {
      document.dispatchEvent(new CustomEvent("w-swap:success"));
      ids.forEach((id) => {
        const box = results.querySelector('input[data-bulk-action-checkbox][data-object-id="' + CSS.escape(id) + '"]');
        if (box) {
          box.checked = true;
          box.dispatchEvent(new Event("change"));
        }
      });
    }

    refresh(conversation) {
      refreshFragment(this.resultsUrl(), (html) => {
        const results = this.element.querySelector("#listing-results");
        if (results) {
          const selected = this.selectedIds(results);
          // Keep the keyboard position: refocus the same conversation after the swap.
          const active = document.activeElement;
          const focused = active && results.contains(active) ? active.getAttribute("href") : null;
          results.innerHTML = html;
          const again = focused ? results.querySelector('a[href="' + focused + '"]') : null;
          if (again) {
            again.focus();
          }
          this.reselect(results, selected);
        }
        if (conversation) {
          this.statusTarget.textContent = this.updatedValue + " " + conversation.subject;
        }
      });
    }
  };
}
