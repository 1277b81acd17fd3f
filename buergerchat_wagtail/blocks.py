"""The blocks a site puts into its StreamFields: ``ChatBlock`` and ``ConsultationBlock``.

The public import path (README, docs/install.md, sites' migrations); the blocks are
defined in ``buergerchat_wagtail.editor.blocks``."""

from buergerchat_wagtail.editor.blocks import ChatBlock, ConsultationBlock, display_choices

__all__ = ["ChatBlock", "ConsultationBlock", "display_choices"]
