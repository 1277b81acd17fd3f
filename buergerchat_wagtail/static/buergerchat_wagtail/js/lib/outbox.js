/*
 * Messages written but not yet confirmed by the server. They are persisted by the
 * owner's `persist` callback (the widget: localStorage with the conversation
 * secret; the admin: sessionStorage of this tab) and sent again with backoff.
 */
import { backoff } from "./util.js";

export class Outbox {
  constructor(persist) {
    this.items = []; // {client_id, body, kind?}
    this.persist = persist;
    this.retryTimer = null;
    this.retryFailures = 0;
  }

  replace(items) {
    this.items = Array.isArray(items) ? items : [];
  }

  get size() {
    return this.items.length;
  }

  find(clientId) {
    return this.items.find((item) => item.client_id === clientId);
  }

  add(item) {
    this.items.push(item);
    this.persist();
  }

  /** Forget an item (stored or refused by the server); true if it was there. */
  remove(clientId) {
    const before = this.items.length;
    this.items = this.items.filter((item) => item.client_id !== clientId);
    if (this.items.length !== before) {
      this.persist();
      return true;
    }
    return false;
  }

  /** The server stored something: the next retry starts with a short delay again. */
  delivered() {
    this.retryFailures = 0;
  }

  /** Call `flush` again after a growing, jittered delay (one timer at a time). */
  retryLater(flush) {
    if (this.retryTimer) {
      return;
    }
    this.retryFailures += 1;
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = null;
      flush();
    }, backoff(this.retryFailures));
  }

  stop() {
    window.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
