"""Public (citizen-facing) URLs. Include them in the project's urls.py before
Wagtail's catch-all::

    path("buergerchat/", include("buergerchat_wagtail.urls")),
"""

from django.urls import path

from buergerchat_wagtail.views.public import calendar, citizen, notices, queue, status, theme
from buergerchat_wagtail.views.public import api

app_name = "buergerchat"

urlpatterns = [
    path("start/<int:department_id>/", citizen.start_conversation, name="start"),
    path("status/<int:department_id>/", status.department_status, name="department_status"),
    path("office-hours/<int:department_id>.ics", calendar.office_hours_feed, name="office_hours_ics"),
    path("consultations/<int:session_id>/status/", status.session_status, name="session_status"),
    path("consultations/<int:session_id>/join/", queue.join_queue, name="join_queue"),
    path("consultations/<int:session_id>.ics", calendar.session_event, name="session_ics"),
    path("notices/stop/<str:token>/", notices.stop_notices, name="stop_notices"),
    path("theme.css", theme.theme_css, name="theme"),
    path("api/v1/", api.urls),
]
