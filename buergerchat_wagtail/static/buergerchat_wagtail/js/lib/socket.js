/*
 * One WebSocket that reconnects with jittered backoff, used by the citizen widget
 * and (as the page's single staff socket, see staffSocket) by the admin.
 * Protocol: docs/protocol.md.
 */
import { backoff } from "./util.js";

export const PROTOCOL = 1;
const HEARTBEAT_MS = 30000;

export function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const lang = encodeURIComponent(document.documentElement.lang || "");
  return scheme + "//" + window.location.host + path + "?lang=" + lang;
}

/**
 * handlers (all optional):
 * - open(reconnect): the connection is open; reconnect: an earlier one failed
 * - frame(frame): a parsed frame arrived
 * - closed(event): the connection closed; return false to stay closed
 * - retry(opened, failures): a reconnect is scheduled (opened: this one had opened)
 * - unavailable(): no WebSocket can be made in this browser
 * `failures` counts closes since the caller last reset it.
 */
export class ReconnectingSocket {
  constructor(path, handlers) {
    this.path = path;
    this.handlers = handlers;
    this.failures = 0;
    this.socket = null;
    this.open = false;
    this.stopped = true;
    this.timer = null;
  }

  start() {
    if (!this.stopped) {
      return;
    }
    this.stopped = false;
    this.connect();
  }

  connect() {
    if (this.stopped) {
      return;
    }
    let socket;
    try {
      socket = new WebSocket(socketUrl(this.path));
    } catch (e) {
      this.stopped = true;
      this.call("unavailable");
      return;
    }
    let opened = false;
    this.socket = socket;
    socket.onopen = () => {
      opened = true;
      this.open = true;
      this.call("open", this.failures > 0);
    };
    socket.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      this.call("frame", frame);
    };
    socket.onclose = (event) => {
      if (this.socket === socket) {
        this.socket = null;
      }
      this.open = false;
      if (this.stopped || this.call("closed", event) === false) {
        return;
      }
      this.failures += 1;
      this.call("retry", opened, this.failures);
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.connect(), backoff(this.failures));
    };
  }

  call(name, ...args) {
    return this.handlers[name] ? this.handlers[name](...args) : undefined;
  }

  /** Send a frame (the protocol version is added); false if not connected. */
  send(frame) {
    if (!this.open) {
      return false;
    }
    this.socket.send(JSON.stringify(Object.assign({ v: PROTOCOL }, frame)));
    return true;
  }

  /** Whether a connection exists or is being opened. */
  get connected() {
    return Boolean(this.socket);
  }

  /** Drop the current connection; the handlers decide about reconnecting. */
  close() {
    if (this.socket) {
      this.socket.close();
    }
  }

  /** Close for good (until start() is called again). */
  stop() {
    this.stopped = true;
    this.open = false;
    window.clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
  }
}

/**
 * The page's one staff socket: presence.js and the admin controllers subscribe to
 * it instead of each opening their own. Pings keep the case worker counted as
 * present. Users without a department get close code 4403, then it stays closed.
 */
class StaffSocket {
  constructor(path) {
    this.subscribers = new Set();
    this.heartbeat = null;
    this.link = new ReconnectingSocket(path, {
      open: (reconnect) => {
        this.link.failures = 0;
        this.heartbeat = window.setInterval(() => this.send({ type: "ping" }), HEARTBEAT_MS);
        this.notify("open", reconnect);
      },
      frame: (frame) => {
        if (frame.type === "conversations") {
          // A burst of inbox updates in one frame: each subscriber sees them one by one.
          frame.conversations.forEach((item) =>
            this.notify("frame", { v: frame.v, type: "conversation", conversation: item.conversation, started: item.started }),
          );
        } else {
          this.notify("frame", frame);
        }
      },
      closed: (event) => {
        window.clearInterval(this.heartbeat);
        return event.code !== 4401 && event.code !== 4403;
      },
      retry: (opened, failures) => this.notify("close", opened, failures),
    });
  }

  notify(name, ...args) {
    Array.from(this.subscribers).forEach((handlers) => {
      if (this.subscribers.has(handlers) && handlers[name]) {
        handlers[name](...args);
      }
    });
  }

  /** handlers: open(reconnect), frame(frame), close(opened, failures). Returns the unsubscribe function. */
  subscribe(handlers) {
    this.subscribers.add(handlers);
    if (this.link.stopped) {
      this.link.start();
    } else if (this.link.open && handlers.open) {
      handlers.open(false);
    }
    return () => {
      this.subscribers.delete(handlers);
      if (!this.subscribers.size) {
        window.clearInterval(this.heartbeat);
        this.link.stop();
      }
    };
  }

  send(frame) {
    return this.link.send(frame);
  }

  get open() {
    return this.link.open;
  }

  /** Drop the connection: it reconnects with backoff and every subscriber starts again. */
  reconnect() {
    this.link.close();
  }
}

const staffSockets = new Map();

/** The staff socket for this path, shared by everything on the page. */
export function staffSocket(path) {
  if (!staffSockets.has(path)) {
    staffSockets.set(path, new StaffSocket(path));
  }
  return staffSockets.get(path);
}
