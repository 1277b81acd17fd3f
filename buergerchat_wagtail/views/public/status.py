"""Live state for citizens: whether a department or a consultation session can be
reached now. The widget asks on page load (so a cached page is never stale), again
when ``refresh_in`` seconds have passed (the next clock transition, computed here),
and receives pushes over its socket once a chat is open. No cookies, never cached."""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from buergerchat_wagtail.availability import state as availability
from buergerchat_wagtail.consultations import queue as consultations
from buergerchat_wagtail.models import ConsultationSession, Department
from buergerchat_wagtail.protocol.frames import reply


@never_cache
@require_GET
def department_status(request, department_id):
    department = get_object_or_404(Department.objects.select_related("office_hours"), pk=department_id)
    state = availability.department_state(department)
    return JsonResponse(reply("availability", availability=state.as_payload()))


@never_cache
@require_GET
def session_status(request, session_id):
    session = get_object_or_404(ConsultationSession.objects.select_related("department"), pk=session_id)
    consultations.finish_if_over(session)
    return JsonResponse(
        reply("availability", availability=consultations.session_state(session))
    )
