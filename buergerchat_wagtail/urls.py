"""Public (citizen-facing) URLs. Include them in the project's urls.py before
Wagtail's catch-all::

    path("buergerchat/", include("buergerchat_wagtail.urls")),
"""

from django.urls import path

from .views import citizen
from .views.api import api

app_name = "buergerchat"

urlpatterns = [
    path("start/<int:department_id>/", citizen.start_conversation, name="start"),
    path("api/v1/", api.urls),
]
