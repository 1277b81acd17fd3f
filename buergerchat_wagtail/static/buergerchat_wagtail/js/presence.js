/*
 * Bürgerchat on every admin page: a staff socket that makes the case worker count as
 * present (it pings every 30 s), updates the "Reachability now" panel live, and
 * announces new conversations with a browser notification and a short sound.
 * Configuration from the script tag's data- attributes (no inline code, CSP-safe).
 * Users without a department get close code 4403 and the script stops.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.buergerchatPresenceLoaded) {
    return;
  }
  window.buergerchatPresenceLoaded = true;
  var config = script.dataset;
  var HEARTBEAT_MS = 30000;
  var failures = 0;
  var heartbeat = null;
  var refreshTimers = {};

  function beep() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) {
        return;
      }
      var context = new Context();
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, context.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.2, context.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + 0.4);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start();
      oscillator.stop(context.currentTime + 0.45);
      oscillator.onended = function () {
        context.close();
      };
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
    var body = (config.body || "").replace("%(department)s", conversation.department);
    try {
      var note = new Notification(config.title, { body: body, tag: "buergerchat-" + conversation.id });
      note.onclick = function () {
        window.focus();
        note.close();
      };
    } catch (e) {
      /* some browsers allow notifications only from service workers */
    }
  }

  function renderState(state) {
    document.querySelectorAll('[data-bc-department-state="' + state.department + '"]').forEach(function (node) {
      node.dataset.state = state.state;
      var label = node.querySelector("[data-bc-state-label]");
      if (label) {
        label.textContent = state.label;
      }
      scheduleRefresh(node, state.refresh_in);
    });
  }

  function scheduleRefresh(node, seconds) {
    var id = node.dataset.bcDepartmentState;
    window.clearTimeout(refreshTimers[id]);
    if (!seconds) {
      return;
    }
    refreshTimers[id] = window.setTimeout(function () {
      fetch(node.dataset.statusUrl, { credentials: "omit", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (frame) {
          if (frame && frame.availability) {
            renderState(frame.availability);
          }
        })
        .catch(function () {});
    }, Math.min(seconds, 6 * 3600) * 1000);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var lang = encodeURIComponent(document.documentElement.lang || "");
    var socket = new WebSocket(scheme + "//" + window.location.host + config.socket + "?lang=" + lang);
    socket.onopen = function () {
      failures = 0;
      heartbeat = window.setInterval(function () {
        socket.send(JSON.stringify({ v: 1, type: "ping" }));
      }, HEARTBEAT_MS);
    };
    socket.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame.type === "conversation" && frame.started) {
        notify(frame.conversation);
      } else if (frame.type === "availability") {
        renderState(frame.availability);
      }
    };
    socket.onclose = function (event) {
      window.clearInterval(heartbeat);
      if (event.code === 4401 || event.code === 4403) {
        return;
      }
      failures += 1;
      var delay = Math.min(30000, 500 * Math.pow(2, failures)) * (0.5 + Math.random());
      window.setTimeout(connect, delay);
    };
  }

  function setUpNotificationButton() {
    var button = document.querySelector("[data-bc-enable-notifications]");
    if (!button || !("Notification" in window) || Notification.permission !== "default") {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () {
        button.hidden = true;
      });
      beep(); // a user gesture also unlocks sound for later
    });
  }

  function init() {
    if (document.getElementById("id_username") && document.getElementById("id_password")) {
      return; // the login page
    }
    document.querySelectorAll("[data-bc-department-state]").forEach(function (node) {
      scheduleRefresh(node, 60);
    });
    setUpNotificationButton();
    connect();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
