"""Create benchmark conversations in the app's database and print them as JSON.

Run with the demo site's environment (DATABASE_URL etc.):
    python -m bench.app_setup N [PER_DEPARTMENT]

Each group of PER_DEPARTMENT conversations belongs to its own department with one
case worker, so an inbox event reaches PER_DEPARTMENT staff sockets, as in a city
where a department has a handful of people online.
"""

import json
import os
import sys

import django


def main(count, per_department=10):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.test import Client

    from buergerchat_wagtail.conversations import services
    from buergerchat_wagtail.models import Department

    access_admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    User = get_user_model()
    conversations = []
    cookies = {}
    for index in range(count):
        number = index // per_department
        slug = f"bench-{number}"
        department = Department.objects.filter(slug=slug).first()
        if department is None:
            group, _ = Group.objects.get_or_create(name=f"Bench {number}")
            group.permissions.add(access_admin)
            department = Department.objects.create(name=f"Bench {number}", slug=slug, group=group)
            user, _ = User.objects.get_or_create(username=f"bench{number}")
            user.groups.add(group)
            client = Client()
            client.force_login(user)
            cookies[number] = client.cookies["sessionid"].value
        conversation, secret = services.start_conversation(department=department, text=f"Benchmark {index}")
        conversations.append({"id": conversation.pk, "secret": secret, "staff_cookie": cookies.get(number)})
    # Departments created by an earlier run in the same database have no cookie yet.
    for item in conversations:
        if item["staff_cookie"] is None:
            raise SystemExit("run app_setup on a fresh database")
    json.dump({"conversations": conversations}, sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 10)
