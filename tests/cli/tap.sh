# TAP helpers for the shell tests. Source it; call ok/is/like, then done_testing.
T_N=0 T_FAIL=0
V4CHECK=${V4CHECK:-./v4check}
ok() { # ok COND-EXIT-STATUS "name"
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAIL=$((T_FAIL + 1)); fi
}
is() { # is GOT WANT "name"
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got '$1', want '$2'"; fi
}
like() { # like FILE REGEX "name": FILE has a line matching the extended regex
	if grep -Eq -- "$2" "$1"; then ok 0 "$3"; else ok 1 "$3"; echo "#   no line matches /$2/ in:"; sed 's/^/#   /' "$1" | head -40; fi
}
unlike() { # unlike FILE REGEX "name"
	if grep -Eq -- "$2" "$1"; then ok 1 "$3"; echo "#   unexpected:"; grep -E -- "$2" "$1" | sed 's/^/#   /' | head; else ok 0 "$3"; fi
}
skip() { T_N=$((T_N + 1)); echo "ok $T_N # SKIP $1"; }
done_testing() { echo "1..$T_N"; [ "$T_FAIL" -eq 0 ]; }
# run OUT CMD...: runs CMD with stdout+stderr in OUT; sets RC.
run() { _o=$1; shift; "$@" > "$_o" 2>&1; RC=$?; }
# JSON_PY: a python3 with the jsonschema module (Debian's python3-jsonschema
# is under /usr/bin/python3 when another python3 comes first on PATH).
for JSON_PY in python3 /usr/bin/python3 ""; do
	[ -n "$JSON_PY" ] && "$JSON_PY" -c 'import jsonschema' 2>/dev/null && break
done
# valid_json KIND FILE "name": FILE validates against $defs/KIND of
# schema/v4check.schema.json (report, list, manifest, fact, state).
valid_json() {
	if [ -z "$JSON_PY" ]; then ok 1 "$3"; echo "#   no python3 with jsonschema (tests/setup-deps.sh installs python3-jsonschema)"; return; fi
	"$JSON_PY" tests/validate-json.py "$1" "$2" > "${2}.schema-errors" 2>&1
	_r=$?
	ok $_r "$3"
	[ $_r -eq 0 ] || sed 's/^/#   /' "${2}.schema-errors" | head -20
	rm -f "${2}.schema-errors"
}
