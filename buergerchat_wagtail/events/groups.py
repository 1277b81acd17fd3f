"""Channel-layer group names, built from ids only (ASCII, well under 100 characters)."""

#: Every staff socket: told when permissions change.
STAFF_BROADCAST = "buergerchat.staff"


def department(department_id):
    """The inbox events of one department's staff sockets."""
    return f"buergerchat.dept.{department_id}"


def conversation_citizen(conversation_id):
    """The citizen's sockets of one conversation: never receives staff-only events."""
    return f"buergerchat.conv.{conversation_id}.citizen"


def conversation_staff(conversation_id):
    """Staff sockets that opened one conversation."""
    return f"buergerchat.conv.{conversation_id}.staff"


def availability(department_id):
    """Citizen sockets of one department: told when its state changes (presence)."""
    return f"buergerchat.avail.{department_id}"


def team(department_id):
    """Team boards of one department (supervisors' staff sockets): told of presence changes."""
    return f"buergerchat.team.{department_id}"
