from django.db import models


class CitizenNotice(models.Model):
    """What the content-free "an answer is waiting" e-mail needs: the page where the
    citizen started (to point them back to it) and when we last wrote, so that one
    round of answers sends one e-mail."""

    conversation = models.OneToOneField(
        "buergerchat.Conversation", on_delete=models.CASCADE, related_name="citizen_notice", primary_key=True
    )
    page = models.ForeignKey("wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_emailed_at = models.DateTimeField(null=True, blank=True)
