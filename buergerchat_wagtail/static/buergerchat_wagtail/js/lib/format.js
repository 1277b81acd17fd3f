/*
 * Message text as the server parsed it (conversations/formatting.py): the payload's
 * "blocks" become DOM nodes. Nothing is parsed here, so the widget, the admin and
 * the PDF cannot disagree on what a link or a list is; and no user text ever goes
 * through innerHTML: only createElement, textContent and a checked href.
 */

const LINK_REL = "noopener noreferrer nofollow";
const WEB_ADDRESS = /^https?:\/\//i;

function appendLine(parent, parts) {
  (parts || []).forEach(function (part) {
    if (typeof part === "string") {
      parent.appendChild(document.createTextNode(part));
    } else if (part && typeof part.href === "string" && WEB_ADDRESS.test(part.href)) {
      const link = document.createElement("a");
      link.href = part.href;
      link.rel = LINK_REL;
      link.target = "_blank";
      link.textContent = String(part.text || part.href);
      parent.appendChild(link);
    } else if (part && part.text) {
      parent.appendChild(document.createTextNode(String(part.text)));
    }
  });
}

function paragraph(lines) {
  const node = document.createElement("p");
  (lines || []).forEach(function (line, index) {
    if (index) {
      node.appendChild(document.createElement("br"));
    }
    appendLine(node, line);
  });
  return node;
}

function list(block) {
  const ordered = block.type === "ol";
  const node = document.createElement(ordered ? "ol" : "ul");
  const numbers = block.numbers || [];
  if (ordered && numbers.length && numbers[0] !== 1) {
    node.start = numbers[0];
  }
  (block.items || []).forEach(function (item, index) {
    const entry = document.createElement("li");
    if (ordered && typeof numbers[index] === "number") {
      entry.value = numbers[index];
    }
    appendLine(entry, item);
    node.appendChild(entry);
  });
  return node;
}

/**
 * Fill ``container`` with a message body: its ``blocks`` when the server sent them,
 * else ``text`` as it is (system notices, messages still being sent).
 */
export function renderBody(container, blocks, text) {
  container.textContent = "";
  if (!Array.isArray(blocks)) {
    if (text) {
      const node = document.createElement("p");
      node.textContent = text;
      container.appendChild(node);
    }
    return;
  }
  blocks.forEach(function (block) {
    if (block && block.type === "p") {
      container.appendChild(paragraph(block.lines));
    } else if (block && (block.type === "ul" || block.type === "ol")) {
      container.appendChild(list(block));
    }
  });
}
