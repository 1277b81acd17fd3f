/*
 * Bürgerchat in the Wagtail admin: registers the Stimulus controllers (inbox,
 * saved views, team board, consultation queue, and a conversation's connection, thread, composer, actions,
 * upload and canned answers, and the office-hours rows of "Abteilung einrichten"). Configuration comes from data- attributes (no inline
 * scripts, CSP-safe). Loaded as an ES module. Protocol: docs/protocol.md.
 */
import { actionsController } from "./admin/actions.js";
import { boardController } from "./admin/board.js";
import { cannedController } from "./admin/canned.js";
import { composerController } from "./admin/composer.js";
import { conversationController } from "./admin/conversation.js";
import { hoursController } from "./admin/hours.js";
import { inboxController } from "./admin/inbox.js";
import { queueController } from "./admin/queue.js";
import { threadController } from "./admin/thread.js";
import { uploadController } from "./admin/upload.js";
import { viewsController } from "./admin/views.js";
import { onReady } from "./lib/util.js";

/* Order matters: a conversation's parts connect after the controllers they use as outlets. */
const CONTROLLERS = [
  ["bc-queue", queueController],
  ["bc-board", boardController],
  ["bc-inbox", inboxController],
  ["bc-views", viewsController],
  ["bc-conversation", conversationController],
  ["bc-thread", threadController],
  ["bc-actions", actionsController],
  ["bc-upload", uploadController],
  ["bc-canned", cannedController],
  ["bc-composer", composerController],
  ["bc-hours", hoursController],
];

function register() {
  const Controller = window.StimulusModule.Controller;
  CONTROLLERS.forEach(([identifier, define]) => window.wagtail.app.register(identifier, define(Controller)));
}

if (window.wagtail && window.wagtail.app && window.StimulusModule) {
  register();
} else {
  onReady(register);
}
