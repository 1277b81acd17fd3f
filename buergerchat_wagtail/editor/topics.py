"""Topics a citizen chooses from before starting a chat (label, department, subject).

The block (or the section launcher) signs its topic list into the start form; the
start endpoint trusts only the signed list, so a citizen can choose a topic but not
invent a department or a subject."""

from django.core import signing

TOPICS_TOKEN_SALT = "buergerchat.topics"


def usable_topics(topics):
    """The topics whose department exists and is active, as plain dicts."""
    result = []
    for topic in topics or []:
        department = topic.get("department")
        if department is None or not department.is_active:
            continue
        label = topic.get("label") or department.name
        result.append({"label": label, "department": department, "subject": topic.get("subject") or label})
    return result


def topics_token(topics):
    """Sign the topic list (label, department id, subject) for the start form."""
    return signing.dumps(
        [{"l": t["label"], "d": t["department"].pk, "s": t["subject"]} for t in topics],
        salt=TOPICS_TOKEN_SALT,
        compress=True,
    )


def verified_topics(token):
    """The topic list in a token from :func:`topics_token`, or ``[]``."""
    if not token:
        return []
    try:
        data = signing.loads(token, salt=TOPICS_TOKEN_SALT)
    except signing.BadSignature:
        return []
    topics = []
    if not isinstance(data, list):
        return []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("d"), int):
            return []
        topics.append({"label": str(item.get("l", "")), "department_id": item["d"], "subject": str(item.get("s", ""))})
    return topics
