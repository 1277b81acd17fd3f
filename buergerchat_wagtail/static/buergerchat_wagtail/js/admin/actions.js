/*
 * The case worker's actions (data-controller="bc-actions"): take, assign, status,
 * close and transfer over the socket (HTTP when it is down), with errors next to
 * the form, and the conversation's details kept up to date.
 */
import { format } from "../lib/util.js";
import { postJson } from "../lib/shortcuts.js";

export function actionsController(Controller) {
  return class ActionsController extends Controller {
    static values = { user: Number };
    static targets = ["take", "close"];
    static outlets = ["bc-conversation"];

    connect() {
      this.actionForm = null;
    }

    get conversation() {
      return this.bcConversationOutlet;
    }

    /** The t and C shortcuts; false if the button is not there. */
    shortcut(key) {
      const form = key === "t" ? this.hasTakeTarget && this.takeTarget : this.hasCloseTarget && this.closeTarget;
      if (!form || form.hidden) {
        return false;
      }
      form.requestSubmit();
      return true;
    }

    submit(event) {
      const form = event.target.closest("form[data-bc-action]");
      if (!form) {
        return;
      }
      event.preventDefault();
      const data = new FormData(form);
      const type = form.dataset.bcAction;
      const frame = { type: type };
      if (type === "assign") {
        frame.assignee = data.get("assignee") ? parseInt(data.get("assignee"), 10) : null;
      } else if (type === "status") {
        frame.status = data.get("status");
      } else if (type === "transfer") {
        frame.department = parseInt(data.get("department"), 10);
        frame.reason = data.get("reason") || "";
      } else if (type === "tags") {
        // What changed since the page was drawn (or the last save): ticked and unticked boxes.
        const boxes = Array.from(form.querySelectorAll("input[name=tags]"));
        const ids = (keep) => boxes.filter(keep).map((box) => parseInt(box.value, 10));
        frame.add = ids((box) => box.checked && !box.defaultChecked);
        frame.remove = ids((box) => !box.checked && box.defaultChecked);
      }
      this.clearFormErrors(form);
      this.actionForm = form;
      if (!this.conversation.send(frame)) {
        postJson(form.action, data)
          .then((answer) => this.conversation.receive(answer))
          .catch(() => {});
      }
    }

    done(frame) {
      const form = this.actionForm;
      this.actionForm = null;
      this.updateMeta(frame.conversation);
      if (form && form.dataset.bcAction === "tags") {
        form.querySelectorAll("input[name=tags]").forEach((box) => {
          box.defaultChecked = box.checked;
        });
      }
      if (form && form.dataset.bcAction === "transfer") {
        form.reset();
        const details = form.closest("details");
        if (details) {
          details.open = false;
        }
      }
      if (frame.access === false) {
        // No unsubscribe here: the "transferred" frame with the system message may
        // still be on its way; the server stops the subscription when it sends it.
        this.conversation.transferred(frame.conversation.department, false, { unsubscribe: false });
        return;
      }
      this.conversation.say(this.conversation.strings.done);
    }

    /** An error frame answering an action: shown at its form; true if handled here. */
    failed(frame) {
      if (!this.actionForm) {
        return false;
      }
      this.showFormError(this.actionForm, frame);
      this.actionForm = null;
      return true;
    }

    clearFormErrors(form) {
      const error = form.querySelector("[data-bc-form-error]");
      if (error) {
        error.hidden = true;
        error.textContent = "";
      }
      form.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
    }

    showFormError(form, frame) {
      const error = form.querySelector("[data-bc-form-error]");
      if (error) {
        error.textContent = frame.detail;
        error.hidden = false;
      }
      const field = frame.field ? form.querySelector('[name="' + frame.field + '"]') : null;
      if (field) {
        field.setAttribute("aria-invalid", "true");
        if (error) {
          error.id = error.id || "bc-error-" + form.dataset.bcAction;
          field.setAttribute("aria-describedby", error.id);
        }
        field.focus();
      }
    }

    /* The details list lives outside this element: the whole conversation is searched. */
    updateMeta(conversation) {
      const root = this.conversation.element;
      const strings = this.conversation.strings;
      const set = (name, text) => {
        root.querySelectorAll('[data-bc-field="' + name + '"]').forEach((node) => {
          node.textContent = text;
        });
      };
      set("status_label", conversation.status_label);
      set("department", conversation.department);
      set("assignee", conversation.assignee ? conversation.assignee.name : strings.nobody);
      if (conversation.rating) {
        const comment = conversation.rating_comment ? " – „" + conversation.rating_comment + "“" : "";
        set("rating", format(strings.rating, { score: conversation.rating }) + comment);
      }
      if (this.hasTakeTarget) {
        this.takeTarget.hidden = Boolean(conversation.assignee && conversation.assignee.id === this.userValue);
      }
      if (this.hasCloseTarget) {
        this.closeTarget.hidden = conversation.status === "closed";
      }
      const assignee = this.element.querySelector("form[data-bc-action=assign] select[name=assignee]");
      if (assignee) {
        assignee.value = conversation.assignee ? String(conversation.assignee.id) : "";
      }
      const status = this.element.querySelector("form[data-bc-action=status] select[name=status]");
      if (status && status.querySelector('option[value="' + conversation.status + '"]')) {
        status.value = conversation.status;
      }
    }
  };
}
