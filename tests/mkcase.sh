# Shell functions that write a capture (the layout `v4check collect` writes)
# for fixture cases. Source it, then:
#   case_begin DIR                      start a case (removes DIR)
#   case_node NAME RANK [BOND1_IP]      declare a node
#   case_unreachable NAME RANK REASON   declare an unreachable node
#   case_probe NODE ID EXIT 'CMD' [STATE [REASON]] < stdout   one probe
#   case_probe_file NODE ID EXIT 'CMD' FILE      stdout from FILE ("# source:" line dropped)
#   case_err NODE ID < stderr           the probe's stderr
#   case_expect '{json}'                expect.json
#   case_end                            write manifest.json
_case_json_str() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
case_begin() { CASE_DIR=$1; rm -rf "$CASE_DIR"; mkdir -p "$CASE_DIR"; CASE_NODES=; }
case_node() {
	mkdir -p "$CASE_DIR/$1"
	CASE_NODES="$CASE_NODES${CASE_NODES:+,}{\"name\":\"$1\",\"host\":\"$1\",\"rank\":$2${3:+,\"bond1\":\"$3\"}}"
}
case_unreachable() {
	CASE_NODES="$CASE_NODES${CASE_NODES:+,}{\"name\":\"$1\",\"host\":\"$1\",\"rank\":$2,\"unreachable\":true,\"reason\":\"$(_case_json_str "$3")\"}"
}
case_probe() {
	_d="$CASE_DIR/$1"; mkdir -p "$_d"
	cat > "$_d/$2.out"
	[ -f "$_d/$2.err" ] || : > "$_d/$2.err"
	_r=; [ -n "${6:-}" ] && _r=",\"reason\":\"$(_case_json_str "$6")\""
	printf '{"cmd":"%s","state":"%s","exit":%d,"ms":1%s,"truncated":false}\n' \
		"$(_case_json_str "$4")" "${5:-ok}" "$3" "$_r" > "$_d/$2.json"
}
case_probe_file() { sed '1{/^# source:/d}' "$5" | case_probe "$1" "$2" "$3" "$4"; }
case_err() { mkdir -p "$CASE_DIR/$1"; cat > "$CASE_DIR/$1/$2.err"; }
case_expect() { printf '%s\n' "$1" > "$CASE_DIR/expect.json"; }
case_end() { printf '{"schema":1,"nodes":[%s]}\n' "$CASE_NODES" > "$CASE_DIR/manifest.json"; }
