#!/bin/sh
# --help, the man page and the option table agree (as curl keeps them in step).
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4docs.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
"$V4CHECK" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u > $T/help
sed 's/\\-/-/g; s/\\f[BIR]//g' man/v4check.1 | grep -oE -- '--[a-z][a-z-]+' | sort -u > $T/man
grep -oE '\{"[a-z][a-z-]+", (no|required)_argument' cmd/main.c | grep -oE '"[a-z-]+"' | tr -d '"' |
	grep -vx man | sed 's/^/--/' | sort -u > $T/code
for o in $(cat $T/code); do
	grep -qx -- "$o" $T/help; ok $? "option $o is in --help"
	grep -qx -- "$o" $T/man; ok $? "option $o is in man/v4check.1"
done
for o in $(cat $T/help); do
	grep -qx -- "$o" $T/code; ok $? "--help's $o exists in the code"
done
for s in 0 1 2 3 64 70; do
	sed 's/\\-/-/g' man/v4check.1 | grep -q "^\.B $s\$"; ok $? "man page documents exit status $s"
done
"$V4CHECK" list | awk '{print $1}' > $T/ids
for id in $(cat $T/ids); do
	grep -q "^\.SS $id$" man/v4check-checks.7; ok $? "catalogue documents $id"
	"$V4CHECK" explain "$id" > $T/ex; like $T/ex '^Probes: .+' "explain $id lists its probes"
	like $T/ex '^Findings:' "explain $id lists its findings"
done
for f in man/*.[1-8]; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null | grep -v 'cannot adjust' | head -3)
	is "$w" "" "$f renders without roff warnings"
done

# the Ansible docs name only files that exist: every repository path in them
# (ansible/..., tests/..., man/..., and the role README's own relative names)
for doc in man/v4check-ansible.7 ansible/roles/v4check_gate/README.md; do
	grep -oE '(ansible|tests|man)/[A-Za-z0-9_./-]+[A-Za-z0-9_]' "$doc" | sed 's/\\-/-/g' | sort -u >$T/paths
	if [ "$doc" = ansible/roles/v4check_gate/README.md ]; then
		grep -oE '`[a-z_]+/[A-Za-z0-9_.-]+\.(yml|j2|py|md)`|`[a-z_]+\.yml`' "$doc" | tr -d '`' |
			sed 's|^\([a-z_]*\.yml\)$|tasks/\1|; s|^|ansible/roles/v4check_gate/|' >>$T/paths
		grep -oE '`(install|nodes|run_direct|run_merge|fix_direct|fix_merge|verdict|controller)\.yml`' "$doc" |
			tr -d '`' | sed 's|^|ansible/roles/v4check_gate/tasks/|' >>$T/paths
	fi
	missing=$(sort -u $T/paths | while read -r p; do [ -e "$p" ] || echo "$p"; done)
	is "$missing" "" "$doc names only files that exist ($(sort -u $T/paths | wc -l) paths)"
done
done_testing
