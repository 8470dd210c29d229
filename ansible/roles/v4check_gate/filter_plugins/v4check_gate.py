# Filters that turn a v4check JSON report (schema 1, v4check(1)) into the
# lines the gate shows: one per non-passing result, "CHECK STATUS NODE CODE:
# message"; an unreachable node gets one line, not one per check.


def _unreachable_nodes(report):
    return [n for n in report.get("nodes", []) if n.get("state") == "unreachable"]


def v4check_findings(report, states):
    """Lines for the results whose status is in states (e.g. ['FAIL'])."""
    down = {n.get("name") for n in _unreachable_nodes(report)}
    lines = []
    if "UNREACHABLE" in states:
        for n in _unreachable_nodes(report):
            lines.append("%s UNREACHABLE: %s" % (n.get("name"), n.get("reason", "")))
    for check in report.get("checks", []):
        for r in check.get("results", []):
            if r.get("status") not in states:
                continue
            if r.get("status") == "UNREACHABLE" and r.get("node") in down:
                continue
            lines.append("%s %s %s %s: %s" % (check.get("id"), r.get("status"), r.get("node"),
                                              r.get("code"), r.get("message", "")))
    return lines


def v4check_fixes(report):
    """Lines for the fixes of a --fix run: node, command, result."""
    lines = []
    for f in report.get("fixes", []):
        line = "%s: %s: %s" % (f.get("node"), f.get("command"), f.get("result"))
        if f.get("reason"):
            line += " (%s)" % f["reason"]
        lines.append(line)
    return lines


class FilterModule:
    def filters(self):
        return {"v4check_findings": v4check_findings, "v4check_fixes": v4check_fixes}
