/*
 * Small helpers shared by the widget, the admin controllers and presence.js.
 * ES module, no build step: loaded by relative path from the other modules.
 */

export function uuid4() {
  if (window.crypto && window.crypto.randomUUID) {
    return window.crypto.randomUUID();
  }
  const b = window.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
}

export function formatSize(bytes) {
  const units = ["B", "KB", "MB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : 1;
  return value.toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: digits }) + " " + units[unit];
}

/** Size of a released file, and "not checked for malware" when no scanner looked at it. */
export function attachmentMeta(attachment) {
  const size = formatSize(attachment.size);
  return attachment.malware_checked === false ? size + ", " + attachment.status_label : size;
}

/** Fill %(name)s placeholders (the gettext style of the translated strings). */
export function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (match, name) => (values[name] === undefined ? match : values[name]));
}

/** Jittered exponential backoff: 1 s, 2 s, 4 s … at most 30 s, each times 0.5 to 1.5. */
export function backoff(failures) {
  return Math.min(30000, 500 * Math.pow(2, failures)) * (0.5 + Math.random());
}

/** Date and time in Berlin time, as the server renders them. */
export function dateTimeFormat() {
  return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    timeZone: "Europe/Berlin",
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** A `datetime` attribute value HTML accepts (at most three fractional digits, UTC):
 * the server's timestamps carry microseconds. */
export function htmlDateTime(isoDate) {
  const date = new Date(isoDate);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

export function formatTime(timeFormat, isoDate) {
  return timeFormat.format(new Date(isoDate)).replace(", ", " ");
}

/** Run once the document is parsed (modules usually run after that already). */
export function onReady(callback) {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", callback);
  } else {
    callback();
  }
}

/** Show or clear the error message of a form field; aria-invalid follows. */
export function fieldError(field, box, text) {
  box.textContent = text || "";
  if (text) {
    field.setAttribute("aria-invalid", "true");
  } else {
    field.removeAttribute("aria-invalid");
  }
}

/* ---- browser storage: every access may throw (disabled, full, private mode) ---- */

export function loadStored(area, key) {
  try {
    return JSON.parse(window[area].getItem(key));
  } catch (e) {
    return null;
  }
}

export function saveStored(area, key, value) {
  try {
    window[area].setItem(key, JSON.stringify(value));
  } catch (e) {
    /* storage full or disabled: the data lives until the page is left */
  }
}

export function removeStored(area, key) {
  try {
    window[area].removeItem(key);
  } catch (e) {
    /* ignore */
  }
}

/**
 * POST a form with XMLHttpRequest (fetch has no upload progress). `progress` is a
 * <progress> element; `done(status, frame)` gets the parsed JSON answer or null.
 */
export function upload({ url, data, headers, progress, done, failed }) {
  const xhr = new XMLHttpRequest();
  xhr.open("POST", url);
  xhr.setRequestHeader("Accept", "application/json");
  Object.entries(headers || {}).forEach(([name, value]) => xhr.setRequestHeader(name, value));
  xhr.withCredentials = false;
  progress.hidden = false;
  progress.value = 0;
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) {
      progress.value = Math.round((e.loaded / e.total) * 100);
    }
  };
  xhr.onload = () => {
    progress.hidden = true;
    let frame = null;
    try {
      frame = JSON.parse(xhr.responseText);
    } catch (e) {
      frame = null;
    }
    done(xhr.status, frame);
  };
  xhr.onerror = () => {
    progress.hidden = true;
    failed();
  };
  xhr.send(data);
  return xhr;
}
