"""The admin and widget JavaScript: native ES modules without a build step.

No browser here: the layout rules (small controllers, shared helpers defined once,
relative imports that resolve) and that hashed static storage rewrites the imports.
"""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.files.storage import FileSystemStorage

import buergerchat_wagtail

STATIC = Path(buergerchat_wagtail.__file__).parent / "static"
JS = STATIC / "buergerchat_wagtail" / "js"
TEMPLATES = Path(buergerchat_wagtail.__file__).parent / "templates"
IMPORT = re.compile(r"""^(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["'];|^import\s*["']([^"']+)["'];""", re.M | re.S)
SHARED = ("uuid4", "formatSize", "format", "backoff", "socketUrl", "onReady")


def js_files():
    return sorted(JS.rglob("*.js"))


def test_no_javascript_file_is_huge_and_no_controller_over_300_lines():
    for path in js_files():
        lines = len(path.read_text().splitlines())
        assert lines <= 400, f"{path.relative_to(JS)}: {lines} lines"
        if "Controller" in path.read_text():
            assert lines <= 300, f"controller {path.relative_to(JS)}: {lines} lines"


@pytest.mark.parametrize("name", SHARED)
def test_shared_helpers_are_defined_once(name):
    definition = re.compile(rf"\bfunction\s+{name}\s*\(|\b(?:var|let|const)\s+{name}\s*=")
    places = [str(path.relative_to(JS)) for path in js_files() for _ in definition.finditer(path.read_text())]
    assert places == ["lib/util.js"] or (name == "socketUrl" and places == ["lib/socket.js"]), places


def test_one_place_opens_websockets():
    places = [str(path.relative_to(JS)) for path in js_files() if "new WebSocket(" in path.read_text()]
    assert places == ["lib/socket.js"]


def test_imports_are_relative_and_resolve():
    for path in js_files():
        text = path.read_text()
        assert '"use strict"' not in text, f"{path.name}: modules are strict anyway"
        for match in IMPORT.finditer(text):
            target = match.group(1) or match.group(2)
            assert target.startswith(("./", "../")) and target.endswith(".js"), f"{path.name}: {target}"
            assert (path.parent / target).resolve().is_file(), f"{path.name}: {target}"


def test_templates_and_hooks_load_the_scripts_as_modules():
    tags = []
    for path in list(TEMPLATES.rglob("*.html")) + [JS.parents[2] / "wagtail_hooks.py"]:
        tags += re.findall(r"<script\b[^>]*\bsrc=[^>]*>", path.read_text())
    assert tags
    for tag in tags:
        assert 'type="module"' in tag and " defer" not in tag, tag


class ModuleManifestStorage(ManifestStaticFilesStorage):
    support_js_module_import_aggregation = True


def test_hashed_static_storage_rewrites_the_module_imports(tmp_path):
    """With ManifestStaticFilesStorage (and support_js_module_import_aggregation) every
    import points at the hashed file, so a deployment never mixes old and new modules."""
    source = FileSystemStorage(location=STATIC)
    storage = ModuleManifestStorage(location=tmp_path, base_url="/static/")
    paths = {}
    for path in js_files():
        name = str(path.relative_to(STATIC))
        storage.save(name, path.open("rb"))
        paths[name] = (source, name)
    results = {name: hashed for name, hashed, _ in storage.post_process(paths) if not isinstance(hashed, Exception)}
    admin = (tmp_path / results["buergerchat_wagtail/js/admin.js"]).read_text()
    imported = re.findall(r'from "(\./admin/conversation\.[0-9a-f]{12}\.js)";', admin)
    assert imported, admin
    assert (tmp_path / "buergerchat_wagtail/js" / imported[0]).is_file()
    for name, hashed in results.items():
        for match in IMPORT.finditer((tmp_path / hashed).read_text()):
            target = match.group(1) or match.group(2)
            assert re.search(r"\.[0-9a-f]{12}\.js$", target), f"{name}: {target} not hashed"
