"""The package as a city gets it: the wheel installs in a fresh virtualenv, and a new
Wagtail project (``wagtail start``) gets the chat by following the README's section
"Add it to an existing Wagtail site".

The README's code blocks in that section are marked ``<!-- install:NAME -->``; this
module reads them from README.md and applies exactly them (``yoursite`` replaced by the
project's name), so the README and this test cannot drift apart. Then the new project is
migrated, checked, given a page with the chat block and served by daphne.

One virtualenv and one project per session; pip's cache makes the install quick. The
test needs the package index (the wheel's dependencies) and takes about a minute.
"""

import asyncio
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "## Add it to an existing Wagtail site"
PROJECT = "citysite"
BLOCK = re.compile(r"^(?P<indent> *)<!-- install:(?P<name>[\w-]+) -->\n(?P=indent)```\w*\n(?P<body>.*?)\n(?P=indent)```", re.M | re.S)


def readme_blocks():
    """{name: code} of the marked code blocks in the README's install section."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    blocks = {}
    for match in BLOCK.finditer(section):
        indent = match["indent"]
        lines = [line[len(indent) :] if line.startswith(indent) else line for line in match["body"].split("\n")]
        blocks[match["name"]] = "\n".join(lines).replace("yoursite", PROJECT) + "\n"
    return blocks


def run(args, cwd, env=None, timeout=600):
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{shlex.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def clean_env(venv=None, **extra):
    """The environment of a city's shell: none of this test run's Django settings or paths."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "BUERGERCHAT_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    if venv is not None:
        env["PATH"] = f"{venv}{os.pathsep}{env.get('PATH', '')}"
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8", "replace")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """The wheel built by ``python -m build``: first the sdist, then the wheel from it, so
    a file missing from the sdist is missing from the wheel too (no stale build/ tree)."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=ROOT, env=clean_env())
    (path,) = out.glob("buergerchat_wagtail-*.whl")
    return path


@pytest.fixture(scope="session")
def venv(wheel, tmp_path_factory):
    """A fresh virtualenv with the wheel installed by the README's pip command."""
    path = tmp_path_factory.mktemp("venv") / "venv"
    run([sys.executable, "-m", "venv", path], cwd=path.parent)
    bin_dir = path / "bin"
    command = shlex.split(readme_blocks()["pip"])
    assert command[:2] == ["pip", "install"], command
    args = [str(wheel) if arg.startswith("buergerchat-wagtail") else arg for arg in command[2:]]
    run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        cwd=path.parent,
        env=clean_env(bin_dir),
    )
    return bin_dir


def apply_readme(project):
    """The README's steps 2 to 6, applied to a project made by ``wagtail start``."""
    blocks = readme_blocks()
    package = project / PROJECT

    settings = package / "settings" / "base.py"
    settings.write_text(settings.read_text() + "\n\n" + blocks["settings"])

    urls = package / "urls.py"
    text = urls.read_text()
    assert text.count("urlpatterns = [\n") == 1
    urls.write_text(text.replace("urlpatterns = [\n", "urlpatterns = [\n    " + blocks["urls"], 1))

    # "with the settings module your wsgi.py uses"
    wsgi_settings = re.search(r'"DJANGO_SETTINGS_MODULE", "([\w.]+)"', (package / "wsgi.py").read_text())[1]
    asgi = blocks["asgi"].replace(f'"{PROJECT}.settings"', f'"{wsgi_settings}"')
    (package / "asgi.py").write_text(asgi)

    (project / "home" / "models.py").write_text(blocks["models"])
    template = project / "home" / "templates" / "home" / "home_page.html"
    text = template.read_text()
    assert text.count("{% block content %}") == 1
    template.write_text(text.replace("{% block content %}", "{% block content %}\n" + blocks["template"], 1))

    base = package / "templates" / "base.html"
    text = base.read_text()
    assert text.count('<html lang="en">') == 1
    text = text.replace('<html lang="en">', blocks["html-lang"].strip(), 1)
    assert text.count("</body>") == 1
    base.write_text(text.replace("</body>", blocks["launcher"] + "</body>", 1))
    return blocks


#: Run inside the new project, as editors would set it up in the admin (README step 8):
#: a department, the home page with a chat block, a privacy page (also the default in
#: the Bürgerchat settings) and a chat button for the whole site.
CONTENT_SCRIPT = """
import json
import django

django.setup()

from django.contrib.auth.models import Group
from wagtail.models import Site

from buergerchat_wagtail.models import BuergerchatSiteSettings, ChatLauncher, Department
from home.models import HomePage

group = Group.objects.create(name="Bauverwaltung")
department = Department.objects.create(
    name="Bauverwaltung", slug="bauverwaltung", group=group, greeting="Guten Tag, wie können wir helfen?"
)
home = HomePage.objects.get(depth=2)
privacy = home.add_child(instance=HomePage(title="Datenschutz", slug="datenschutz"))
privacy.save_revision().publish()
home.body = [("chat", {"department": department, "privacy_page": privacy, "heading": "Fragen zum Bauen"})]
home.save_revision().publish()
settings = BuergerchatSiteSettings.for_site(Site.objects.get(is_default_site=True))
settings.privacy_page = privacy
settings.save()
ChatLauncher.objects.create(
    label="Fragen? Chatten Sie mit uns", root_page=home, include_descendants=True, department=department
)
print(json.dumps({"department": department.pk}))
"""


@pytest.fixture(scope="session")
def citysite(venv, tmp_path_factory):
    """``wagtail start citysite`` + the README's steps, served by daphne on a free port."""
    workdir = tmp_path_factory.mktemp("site")
    env = clean_env(venv)
    run([venv / "wagtail", "start", PROJECT], cwd=workdir, env=env)
    project = workdir / PROJECT
    apply_readme(project)
    # wagtail start's dev.py allows every host ("*"), which switches the WebSocket Origin
    # check off; dev.py imports local.py, where a city lists its host names.
    (project / PROJECT / "settings" / "local.py").write_text('ALLOWED_HOSTS = ["127.0.0.1", "localhost"]\n')

    for line in readme_blocks()["migrate"].splitlines():
        if line.strip():
            command = shlex.split(line)
            assert command[0] == "python", line
            run([venv / "python", *command[1:]], cwd=project, env=env)
    run([venv / "python", "manage.py", "check", "--fail-level", "WARNING"], cwd=project, env=env)

    script = project / "make_content.py"
    script.write_text(CONTENT_SCRIPT)
    content = json.loads(
        run([venv / "python", script], cwd=project, env={**env, "DJANGO_SETTINGS_MODULE": f"{PROJECT}.settings.dev"})
    )

    port = free_port()
    log = (workdir / "daphne.log").open("w")
    server = subprocess.Popen(
        [venv / "buergerchat_daphne", "-b", "127.0.0.1", "-p", str(port), f"{PROJECT}.asgi:application"],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            assert server.poll() is None, (workdir / "daphne.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("daphne did not start:\n" + (workdir / "daphne.log").read_text())
        yield {"url": url, "project": project, "department": content["department"], "log": workdir / "daphne.log"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_wheel_ships_templates_static_files_and_compiled_translations_only(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = "buergerchat_wagtail/"
    for required in (
        "templates/buergerchat_wagtail/blocks/chat_block.html",
        "templates/buergerchat_wagtail/widget/start_form.html",
        "templates/buergerchat_wagtail/admin/inbox.html",
        "templates/buergerchat_wagtail/pdf/transcript.html",
        "static/buergerchat_wagtail/js/widget.js",
        "static/buergerchat_wagtail/js/admin.js",
        "static/buergerchat_wagtail/css/widget.css",
        "static/buergerchat_wagtail/css/admin.css",
        "locale/de/LC_MESSAGES/django.mo",
        "locale/en/LC_MESSAGES/django.mo",
        "migrations/0001_initial.py",
        "routing.py",
    ):
        assert package + required in names, required
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"buergerchat_wagtail", wheel.name.split("-py3")[0] + ".dist-info"}, top_level
    # No tests, demo site or benchmarks, not even nested in the package.
    assert not [n for n in names if re.search(r"(^|/)(tests?|demo_site|bench)(/|\.py$)", n)]


def test_readme_install_section_has_every_step():
    assert set(readme_blocks()) == {"pip", "settings", "urls", "asgi", "models", "template", "html-lang", "launcher", "migrate"}


def test_new_wagtail_project_serves_the_widget_in_german_and_english(citysite):
    status, _, german = http(citysite["url"] + "/", headers={"Accept-Language": "de"})
    assert status == 200, german
    assert "data-bc-widget" in german
    assert "Fragen zum Bauen" in german
    assert '<html lang="de">' in german
    # German strings come from the compiled catalogue in the wheel.
    assert "Chat starten" in german and "Anliegen" in german
    assert "Start chat" not in german

    status, _, english = http(citysite["url"] + "/", headers={"Accept-Language": "en"})
    assert status == 200
    assert '<html lang="en">' in english
    assert "Start chat" in english and "Chat starten" not in english
    assert 'data-started="Chat started. You can now write messages."' in english

    # Any other language: German, the site's LANGUAGE_CODE.
    status, _, french = http(citysite["url"] + "/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert status == 200
    assert '<html lang="de">' in french
    assert "Chat starten" in french and "Start chat" not in french


def test_chat_button_for_a_section_comes_from_the_base_template(citysite):
    """The optional step: ``{% buergerchat_launcher %}`` in base.html shows the section's
    chat button on a page without its own chat, and not next to a page's chat block."""
    status, _, privacy = http(citysite["url"] + "/datenschutz/", headers={"Accept-Language": "de"})
    assert status == 200
    assert "Fragen? Chatten Sie mit uns" in privacy
    assert "data-bc-launcher" in privacy
    _, _, home = http(citysite["url"] + "/", headers={"Accept-Language": "de"})
    assert "Fragen? Chatten Sie mit uns" not in home


def test_widget_script_and_stylesheet_are_served(citysite):
    _, _, page = http(citysite["url"] + "/", headers={"Accept-Language": "de"})
    for pattern, content_type, marker in (
        (r'src="([^"]*/buergerchat_wagtail/js/widget\.js)"', "javascript", "data-bc-widget"),
        (r'href="([^"]*/buergerchat_wagtail/css/widget\.css)"', "text/css", ".bc-widget"),
    ):
        path = re.search(pattern, page)[1]
        status, headers, body = http(urllib.parse.urljoin(citysite["url"], path))
        assert status == 200, path
        assert content_type in headers["Content-Type"]
        assert marker in body


def test_citizen_starts_a_chat_and_its_socket_connects(citysite):
    import websockets

    url = citysite["url"]
    form = urllib.parse.urlencode({"text": "Brauche ich eine Baugenehmigung?", "privacy": "on"}).encode()
    status, _, body = http(f"{url}/buergerchat/start/{citysite['department']}/", data=form, headers={"Accept-Language": "de"})
    assert status == 201, body
    started = json.loads(body)
    socket_url = url.replace("http://", "ws://") + "/ws/buergerchat/citizen/?lang=de"

    async def talk():
        async with websockets.connect(socket_url, origin=url) as ws:
            await ws.send(json.dumps({"v": 1, "type": "auth", "secret": started["secret"], "after": 0}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame["type"] == "ready":
                    return frame

    ready = asyncio.run(talk())
    assert ready["conversation"]["reference"] == started["conversation"]["reference"]
    assert ready["conversation"]["greeting"] == "Guten Tag, wie können wir helfen?"
    assert [m["body"] for m in ready["messages"]] == ["Brauche ich eine Baugenehmigung?"]

    async def foreign():
        async with websockets.connect(socket_url, origin="https://evil.example"):
            pass

    # The README's asgi.py checks the Origin against ALLOWED_HOSTS.
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        asyncio.run(foreign())
    assert refused.value.response.status_code == 403


INBOX_SCRIPT = """
import django

django.setup()

from django.contrib.auth.models import User
from django.test import Client

user = User.objects.create_superuser("admin", "admin@example.com", "x")
client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="de")
client.force_login(user)
response = client.get("/admin/buergerchat/")
print(response.status_code)
print(response.content.decode())
"""


def test_staff_inbox_is_in_the_new_projects_admin(citysite, venv):
    """The new project's admin has the inbox (wagtail_hooks and admin templates from the wheel)."""
    script = citysite["project"] / "inbox_check.py"
    script.write_text(INBOX_SCRIPT)
    env = clean_env(venv, DJANGO_SETTINGS_MODULE=f"{PROJECT}.settings.dev")
    status, html = run([venv / "python", script], cwd=citysite["project"], env=env).split("\n", 1)
    assert status == "200", html
    assert "Posteingang" in html
    assert "buergerchat_wagtail/js/admin.js" in html
