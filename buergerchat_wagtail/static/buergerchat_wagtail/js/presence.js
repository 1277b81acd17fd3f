/*
 * Bürgerchat on every admin page: the page's staff socket (shared with the admin
 * controllers) makes the case worker count as present (it pings every 30 s),
 * updates the "Reachability now" panel live, and announces new conversations with
 * a browser notification and a short sound. Configuration from the script tag's
 * data- attributes (no inline code, CSP-safe). Users without a department get
 * close code 4403 and the socket stays closed.
 */
import { staffSocket } from "./lib/socket.js";
import { onReady } from "./lib/util.js";

const config = (document.querySelector("script[data-bc-presence]") || { dataset: {} }).dataset;
const refreshTimers = {};

function beep() {
  try {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return;
    }
    const context = new Context();
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, context.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + 0.4);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start();
    oscillator.stop(context.currentTime + 0.45);
    oscillator.onended = () => context.close();
  } catch (e) {
    /* no sound available */
  }
}

function notify(conversation) {
  beep();
  if (!("Notification" in window) || Notification.permission !== "granted") {
    return;
  }
  // Content-free: the department only, never the citizen's text or name.
  const body = (config.body || "").replace("%(department)s", conversation.department);
  try {
    const note = new Notification(config.title, { body: body, tag: "buergerchat-" + conversation.id });
    note.onclick = () => {
      window.focus();
      note.close();
    };
  } catch (e) {
    /* some browsers allow notifications only from service workers */
  }
}

function renderState(state) {
  document.querySelectorAll('[data-bc-department-state="' + state.department + '"]').forEach((node) => {
    node.dataset.state = state.state;
    const label = node.querySelector("[data-bc-state-label]");
    if (label) {
      label.textContent = state.label;
    }
    scheduleRefresh(node, state.refresh_in);
  });
}

function scheduleRefresh(node, seconds) {
  const id = node.dataset.bcDepartmentState;
  window.clearTimeout(refreshTimers[id]);
  if (!seconds) {
    return;
  }
  refreshTimers[id] = window.setTimeout(() => {
    fetch(node.dataset.statusUrl, { credentials: "omit", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((frame) => {
        if (frame && frame.availability) {
          renderState(frame.availability);
        }
      })
      .catch(() => {});
  }, Math.min(seconds, 6 * 3600) * 1000);
}

function setUpNotificationButton() {
  const button = document.querySelector("[data-bc-enable-notifications]");
  if (!button || !("Notification" in window) || Notification.permission !== "default") {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", () => {
    Notification.requestPermission().then(() => {
      button.hidden = true;
    });
    beep(); // a user gesture also unlocks sound for later
  });
}

function init() {
  if (!config.socket || (document.getElementById("id_username") && document.getElementById("id_password"))) {
    return; // the login page
  }
  document.querySelectorAll("[data-bc-department-state]").forEach((node) => scheduleRefresh(node, 60));
  setUpNotificationButton();
  staffSocket(config.socket).subscribe({
    frame: (frame) => {
      if (frame.type === "conversation" && frame.started) {
        notify(frame.conversation);
      } else if (frame.type === "availability") {
        renderState(frame.availability);
      }
    },
  });
}

onReady(init);
