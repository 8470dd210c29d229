#!/bin/sh
# Shell completion: the committed scripts are what `v4check completion` makes
# from the tables, and the bash one (run in a real bash) completes commands,
# check ids, finding codes and option values that v4check accepts.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4comp.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
B=contrib/completion/v4check.bash Z=contrib/completion/_v4check
ROOT=$PWD

"$V4CHECK" completion bash > $T/bash; cmp -s $T/bash $B; ok $? "$B is what 'v4check completion bash' prints (make completion)"
"$V4CHECK" completion zsh > $T/zsh; cmp -s $T/zsh $Z; ok $? "$Z is what 'v4check completion zsh' prints (make completion)"
"$V4CHECK" completion fish > $T/o 2>&1; is $? 64 "completion fish: usage error"
bash -n $B; ok $? "the bash script parses (bash -n)"
if command -v zsh >/dev/null; then
	zsh -n $Z; ok $? "the zsh script parses (zsh -n)"
	zsh -fc "fpath=($ROOT/contrib/completion \$fpath); autoload -Uz compinit; compinit -u -d $T/zcd; (( \${+_comps[v4check]} )) && [[ \$_comps[v4check] == _v4check ]]" 2>$T/zerr
	ok $? "zsh's compinit takes _v4check for v4check (#compdef)"
else
	ok 1 "zsh missing (tests/setup-deps.sh installs it)"; ok 1 "zsh missing"
fi

# comp "WORDS": completes the last word of WORDS (a trailing space: a new, empty
# word; "=" stands alone, as bash's COMP_WORDBREAKS splits it); one reply a line
comp() {
	(cd "${CDIR:-$ROOT}" && bash -c '. "$0"; read -ra COMP_WORDS <<< "$1"; case $1 in *" ") COMP_WORDS+=("");; esac
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _v4check; printf "%s\n" "${COMPREPLY[@]}"' "$ROOT/$B" "$1") | sed '/^$/d' | sort
}
"$V4CHECK" list | awk '{print $1}' | sort > $T/ids
comp "v4check " > $T/c; for w in all list explain collect merge config completion; do grep -qx $w $T/c || echo "missing $w"; done > $T/miss
comm -23 $T/ids $T/c >> $T/miss; is "$(cat $T/miss)" "" "first word: every command and every check id"
is "$(comp 'v4check ex')" "explain" "first word 'ex': explain"
comp "v4check explain " > $T/c; cmp -s $T/c $T/ids; ok $? "explain: every check id"
is "$(comp 'v4check explain tls ')" "" "explain takes one check"
comp "v4check -c cfg.json tls " > $T/c; cmp -s $T/c $T/ids; ok $? "after a check (options with values skipped): more check ids"
comp "v4check --output = json tls npu-mem " > $T/c; cmp -s $T/c $T/ids; ok $? "after --output=json (split at =): still the command's arguments"
is "$(comp 'v4check completion ' | tr '\n' ' ')" "bash zsh " "completion: bash zsh"
is "$(comp 'v4check -o ' | tr '\n' ' ')" "json junit nagios prom text " "-o: the formats"
is "$(comp 'v4check --output = j' | tr '\n' ' ')" "json junit " "--output=j: json junit"
is "$(comp 'v4check --phase ' | tr '\n' ' ')" "live pre " "--phase: pre live"
is "$(comp 'v4check --color = ' | tr '\n' ' ')" "always auto never " "--color=: auto always never"
is "$(comp 'v4check --junit-warn ' | tr '\n' ' ')" "failure system-err " "--junit-warn: failure system-err"
is "$(comp 'v4check all --skip tls,npu-' | tr '\n' ' ')" "tls,npu-mem tls,npu-sharing " "--skip: the next id of a comma list"
is "$(comp 'v4check --warn-only TLS_MIS')" "TLS_MISMATCH" "--warn-only: finding codes"
# every finding code of every check, as explain lists them
for id in $(cat $T/ids); do "$V4CHECK" explain $id | awk '/^Findings:/{f=1; next} f && NF {print $1}'; done | grep -vx OK | sort -u > $T/codes
comp "v4check --warn-only " > $T/c; comm -23 $T/codes $T/c > $T/miss
is "$(cat $T/miss)" "" "--warn-only: every finding code of every check ($(wc -l < $T/codes))"
"$V4CHECK" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u > $T/helpopts
comp "v4check --" > $T/c; comm -23 $T/helpopts $T/c > $T/miss
is "$(cat $T/miss)" "" "--: every option of --help"
mkdir -p $T/d/capdir; : > $T/d/file.json
is "$(CDIR=$T/d comp 'v4check --replay cap')" "capdir" "--replay: directories"
is "$(CDIR=$T/d comp 'v4check -c fi')" "file.json" "-c: files"
is "$(CDIR=$T/d comp 'v4check collect -o ca')" "capdir" "collect -o: a directory, not a format"
# the values offered are the ones v4check takes, and v4check refuses others
for o in "-o" "--phase" "--color" "--junit-warn"; do
	for v in $(comp "v4check $o "); do
		"$V4CHECK" tls --replay fixtures/checks/tls/pass-all-disabled $o "$v" > $T/o 2>&1
		[ $? -ne 64 ]; ok $? "v4check takes $o $v"
	done
	"$V4CHECK" tls --replay fixtures/checks/tls/pass-all-disabled $o bogus > $T/o 2>&1; is $? 64 "v4check refuses $o bogus"
done

# the zsh script in a real interactive zsh (zsh/zpty): what a TAB shows; the
# v4check of this tree first on its PATH, as an installed one would be (the
# pty's line may run: without one, zsh's "command not found" is not the script's)
zcomp() { PATH=$ROOT:$PATH zsh -f tests/zsh-complete.zsh "$ROOT/contrib/completion" "$T" "$1" > $T/z 2>&1; cat $T/z; }
if command -v zsh >/dev/null; then
	zcomp "v4check --phase " | grep -Eq '^live +pre'; ok $? "zsh: --phase offers live and pre"
	zcomp "v4check -o " | grep -Eq '^json +junit +nagios +prom +text'; ok $? "zsh: -o offers the formats"
	zcomp "v4check --warn-only TLS_" | grep -q 'TLS_MISMATCH'; ok $? "zsh: --warn-only offers finding codes"
	zcomp "v4check --skip tls,npu" | grep -Eq '^npu +npu-mem'; ok $? "zsh: --skip completes the next id of a comma list"
	zcomp "v4check explain " | grep -q '^api  *-- OpenAI API on rank 0'; ok $? "zsh: explain offers the checks with their titles"
	zcomp "v4check expl" | grep -q '% v4check explain '; ok $? "zsh: 'expl' completes to explain"
	zcomp "v4check completion " | grep -Eq '^bash +zsh'; ok $? "zsh: completion offers bash and zsh"
	for w in "v4check --" "v4check -c x.json tls " "v4check --color="; do
		zcomp "$w" > $T/zw; unlike $T/zw '_arguments|invalid|command not found|parse error' "zsh: no error completing '$w'"
	done
else
	for i in 1 2 3 4 5 6 7 8 9 10; do ok 1 "zsh missing (tests/setup-deps.sh installs it)"; done
fi
done_testing
