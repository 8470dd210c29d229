#!/bin/zsh -f
# Types WORDS and a TAB into an interactive zsh (on a pty, zsh/zpty) whose
# completion loads _v4check from DIR (compinit -D: no dump file that a killed
# shell could leave half written), and prints what zsh showed (the list,
# or the completed line), escapes removed. The pty gets 200 rows, so that
# a long list is shown whole (not "Hit TAB for more").
# usage: zsh -f tests/zsh-complete.zsh DIR TMPDIR WORDS
zmodload zsh/zpty || exit 2
zpty z 'TERM=dumb zsh -f -i' || exit 2
zpty -w z "stty rows 200 columns 200 2>/dev/null; PS1='%% '; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; zstyle ':completion:*' list-prompt ''; LISTMAX=100000"
zpty -w -n z "$3"$'\t'
# wait until zsh has shown what the TAB gives (0.5 s without new output, at
# most 20 s): keys typed while it completes are discarded as typeahead
out=
integer i=0 idle=0
while (( i++ < 400 && idle < 10 )); do
	if zpty -r -t z chunk; then
		out+=$chunk
		idle=0
	else
		sleep 0.05
		(( idle++ ))
	fi
done
# end the line and print a marker; read until it comes (split so that the
# echoed command line does not match)
zpty -w -n z $'\x15'
zpty -w z "print ZPTY''_DONE"
i=0
while (( i++ < 600 )); do  # up to 30 s on a loaded machine
	if zpty -r -t z chunk; then
		out+=$chunk
		[[ $out == *$'\n'ZPTY_DONE* || $out == *$'\r'ZPTY_DONE* ]] && break
	else
		sleep 0.05
	fi
done
zpty -d z
print -r -- ${out//$'\r'/} | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
