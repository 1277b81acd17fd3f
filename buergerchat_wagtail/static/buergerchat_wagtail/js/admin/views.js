/* Saved inbox views: the "save view" form takes the filters the listing shows now
   (the filter drawer changes the address without reloading the page). */
export function viewsController(Controller) {
  return class ViewsController extends Controller {
    fill(event) {
      const query = event.target.querySelector("input[name=query]");
      if (query) {
        query.value = window.location.search.replace(/^\?/, "");
      }
    }
  };
}
