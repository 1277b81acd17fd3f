/*
 * Canned answers (data-controller="bc-canned"): a searchable listbox in a Wagtail
 * dialog. Choosing one dispatches bc-canned:insert; bc-composer puts it in the text.
 */
import { hideDialog } from "../lib/shortcuts.js";

function normalize(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

export function cannedController(Controller) {
  return class CannedController extends Controller {
    static values = { noAnswers: String };
    static targets = ["search", "option", "empty"];

    connect() {
      this.onShown = this.onShown.bind(this);
      document.addEventListener("w-dialog:shown", this.onShown);
    }

    disconnect() {
      document.removeEventListener("w-dialog:shown", this.onShown);
    }

    onShown(event) {
      if (!event.target.closest || !event.target.closest("#bc-canned-dialog")) {
        return;
      }
      this.searchTarget.value = "";
      this.filter();
      window.setTimeout(() => this.searchTarget.focus(), 0);
    }

    visibleOptions() {
      return this.optionTargets.filter((option) => !option.hidden);
    }

    filter() {
      const words = normalize(this.searchTarget.value).split(/\s+/).filter(Boolean);
      let first = null;
      this.optionTargets.forEach((option) => {
        const text = normalize(option.textContent + " " + option.dataset.text);
        option.hidden = !words.every((word) => text.includes(word));
        if (!option.hidden && !first) {
          first = option;
        }
      });
      this.emptyTarget.textContent = first ? "" : this.noAnswersValue;
      this.activate(first);
    }

    activate(option) {
      this.optionTargets.forEach((other) => other.setAttribute("aria-selected", String(other === option)));
      if (option) {
        this.searchTarget.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        this.searchTarget.removeAttribute("aria-activedescendant");
      }
    }

    key(event) {
      const options = this.visibleOptions();
      const current = options.findIndex((option) => option.getAttribute("aria-selected") === "true");
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (options.length) {
          const next = event.key === "ArrowDown" ? Math.min(options.length - 1, current + 1) : Math.max(0, current - 1);
          this.activate(options[next]);
        }
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (current >= 0) {
          this.choose(options[current]);
        }
      }
    }

    click(event) {
      const option = event.target.closest("[data-bc-canned-option]");
      if (option) {
        this.choose(option);
      }
    }

    choose(option) {
      hideDialog("bc-canned-dialog");
      this.dispatch("insert", { detail: { text: option.dataset.text, missing: option.dataset.missing } });
    }
  };
}
