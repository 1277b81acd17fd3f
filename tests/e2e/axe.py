"""axe-core in the browser tests (BITV 2.0 / WCAG 2.1 AA).

axe-core comes with the PyPI package ``axe-playwright-python`` (its bundled
``axe.min.js``): nothing is fetched from the network. The script is evaluated through
Playwright (DevTools protocol), which the page's Content Security Policy does not block.
"""

from axe_playwright_python.sync_playwright import Axe

#: The rule sets of WCAG 2.1 level A and AA (what BITV 2.0 requires).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_axe = Axe()


def axe_violations(page, context=None, disable_rules=()):
    """The violations of ``page`` (optionally only inside ``context``, an axe context
    such as ``{"include": [["#main"]], "exclude": [[".x"]]}``)."""
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    if disable_rules:
        options["rules"] = {rule: {"enabled": False} for rule in disable_rules}
    return _axe.run(page, context=context, options=options).response["violations"]


def describe(violations):
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} – {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').replace(chr(10), ' | ')}")
    return "\n".join(lines)


def assert_no_axe_violations(page, context=None, state="", disable_rules=()):
    """Fail with every violation's id, impact, help and target nodes (also printed)."""
    violations = axe_violations(page, context=context, disable_rules=disable_rules)
    if violations:
        report = describe(violations)
        print(f"axe violations ({state or page.url}):\n{report}")
        raise AssertionError(f"{len(violations)} axe violation(s) in {state or page.url}:\n{report}")
