/*
 * "Abteilung einrichten": the office-hours rows (a Django formset) become editable
 * without reloading. "Zeile hinzufügen" copies the <template> of an empty row with
 * the next index; "Entfernen" ticks the row's delete box and hides the row. Without
 * JavaScript the form still works: one empty row and visible delete boxes.
 *
 * <div data-controller="bc-hours" class="bc-hours">
 *   <input name="hours-TOTAL_FORMS"> (the formset's management form)
 *   <tbody data-bc-hours-target="rows"><tr data-bc-hours-row>…</tr></tbody>
 *   <template data-bc-hours-target="template">…__prefix__…</template>
 *   <button data-action="bc-hours#add" data-bc-hours-target="add">
 */
export function hoursController(Controller) {
  return class extends Controller {
    static targets = ["rows", "template", "add"];

    connect() {
      this.element.classList.add("bc-hours--js");
    }

    get total() {
      return this.element.querySelector("input[name$='-TOTAL_FORMS']");
    }

    add() {
      const index = Number(this.total.value);
      const html = this.templateTarget.innerHTML.replaceAll("__prefix__", String(index));
      this.rowsTarget.insertAdjacentHTML("beforeend", html);
      this.total.value = String(index + 1);
      const row = this.rowsTarget.lastElementChild;
      const first = row && row.querySelector("select, input");
      if (first) first.focus();
    }

    remove(event) {
      const row = event.target.closest("[data-bc-hours-row]");
      if (!row) return;
      const box = row.querySelector("input[name$='-DELETE']");
      if (box) box.checked = true;
      row.hidden = true;
      if (this.hasAddTarget) this.addTarget.focus();
    }
  };
}
