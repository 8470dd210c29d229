#!/bin/sh
# Seeds the libFuzzer corpora from the fixtures: build-fuzz/corpus/<target>/.
# Usage: tests/fuzz/seed.sh [OUTDIR]   (run from the top of the tree)
set -eu
out=${1:-build-fuzz/corpus}
cd "$(dirname "$0")/../.."

# put TARGET FILE...: copies whole files into the target's corpus.
put() {
	t=$1; shift
	mkdir -p "$out/$t"
	for f in "$@"; do
		[ -f "$f" ] || continue
		cp "$f" "$out/$t/$(echo "$f" | tr '/' '_')"
	done
}

# byte N: writes one byte of value N (0-255).
byte() {
	printf "\\$(printf %o "$1")"
}

# ctl JSON: the fuzz_checks control byte for a capture's <probe>.json.
ctl() {
	st=$(sed -n 's/.*"state" *: *"\([a-zA-Z]*\)".*/\1/p' "$1" | tr 'A-Z' 'a-z')
	ex=$(sed -n 's/.*"exit" *: *\(-*[0-9]*\).*/\1/p' "$1")
	case $st in
	timeout) s=4 ;; notfound) s=5 ;; failed) s=6 ;; skipped) s=7 ;; *) s=0 ;;
	esac
	case $ex in
	0 | "") e=0 ;; 1) e=8 ;; 2) e=16 ;; *) e=24 ;;
	esac
	byte $((s + e))
}

# chunk DIR ID: one probe's chunk (control, stdout, 0x1f, stderr, 0x1e).
chunk() {
	[ -f "$1/$2.out" ] || return 0
	if [ -f "$1/$2.json" ]; then ctl "$1/$2.json"; else byte 0; fi
	cat "$1/$2.out"
	if [ -s "$1/$2.err" ]; then byte 31; cat "$1/$2.err"; fi
	byte 30
}

# checks_case DIR: a check case as one input (nodes in order, probes in rounds).
checks_case() {
	nodes=$(cd "$1" && for d in */; do [ -d "$d" ] && echo "${d%/}"; done; true)
	nn=$(echo "$nodes" | wc -l)
	[ "$nn" -le 3 ] || nn=3
	byte $((nn - 1 + 64))
	for n in $nodes; do
		chunk "$1/$n" npu-smi-info
		chunk "$1/$n" proc-list
		chunk "$1/$n" api-health
	done
	for n in $nodes; do
		chunk "$1/$n" npu-smi-list
		for f in $(cd "$1/$n" && ls hccn-tls.*.out 2>/dev/null | sort -t. -k2 -n); do
			chunk "$1/$n" "${f%.out}"
		done
	done
}

P=fixtures/parse
put fuzz_npusmi $P/npu-smi-* $P/err-* $P/hccl-error-*
put fuzz_hccn $P/hccn-*
put fuzz_lldp $P/hccn-lldp-*
put fuzz_sohash $P/sohash.*
put fuzz_linkstat $P/hccn-link-stat-g.*
put fuzz_hccnfab $P/hccn-pfc-g.* $P/hccn-stat-g.* $P/hccn-optical-g.* fixtures/checks/roce-counters/*/*/hccn-stat*.0.out fixtures/checks/fabric/*/*/hccn-optical.0.out
put fuzz_logscan $P/logs-docker.* $P/logs-plog.*
put fuzz_cores $P/logs-cores.* $P/coredumpctl-list.*
put fuzz_numa $P/proc-status.* $P/sys-numa.* fixtures/checks/numa/*/*/proc-status.*.out fixtures/checks/numa/*/*/sys-numa.out
mkdir -p "$out/fuzz_hccn"
{ byte 31; cat $P/hccn-tls-g.no-cert.stderr.txt; } >"$out/fuzz_hccn/no-cert-stderr"
put fuzz_versions $P/*version-info* $P/*install-info*
mkdir -p "$out/fuzz_versions"
printf '24.1.rc3\n24.1.0' >"$out/fuzz_versions/rc-vs-release"
printf '24.1.0\n24.1.0.3' >"$out/fuzz_versions/missing-component"
printf '8.0.RC1\n8.0.rc1.alpha003' >"$out/fuzz_versions/rc-alpha"
put fuzz_prom fixtures/prom/*
put fuzz_limits fixtures/parse/proc-limits.*.txt fixtures/checks/*/*/*/limits.*.out
put fuzz_ss fixtures/parse/ss-*.txt fixtures/checks/*/*/*/ss-listen.out
mkdir -p "$out/fuzz_serve"
for f in fixtures/serve/*; do
	for r in 0 1; do { byte $r; cat "$f"; } >"$out/fuzz_serve/$(basename "$f").rank$r"; done
done
{ byte 0; printf 'python3\0-m\0vllm.entrypoints.openai.api_server\0--model\0m\0--api-key\0k\0'; } \
	>"$out/fuzz_serve/cmdline-api-server"
{ byte 1; printf 'vllm serve m --additional-config %s $([ $RANK != 0 ] && echo --headless)' \
	"'{\"a\": [1, {\"b\": null}]}'"; } >"$out/fuzz_serve/json-option"
put fuzz_netcfg $P/bonding.* $P/getent-* $P/ip-j-* $P/docker-inspect.* $P/sitecustomize.*
put fuzz_netcfg fixtures/checks/netif/*/node1/netif-bonding.out fixtures/checks/netif/*/node1/netif-hostname.out
put fuzz_netcfg fixtures/checks/netif/pass-config-two-nodes/node1/netif-link.out fixtures/checks/container/*/node1/docker-inspect.out
put fuzz_procinfo fixtures/checks/*/*/*/proc-list.out
mkdir -p "$out/fuzz_procinfo"
printf 'PATH=/bin\0VLLM_API_KEY=secret\0=bad\0noeq\0HCCL_IF_IP=10.0.0.1\0' >"$out/fuzz_procinfo/environ"
put fuzz_config fixtures/checks/*/*/config.json examples/*.json examples/*.conf
mkdir -p "$out/fuzz_config"
printf '{"nodes":[{"host":"a","rank":1,"port":22,"labels":{"x":1}}],"ssh":{},"checks":{"tls":{"expected":1}}}' \
	>"$out/fuzz_config/small"
mkdir -p "$out/fuzz_hostrange"
printf 'node[01-04],gpu[1-3,7]' >"$out/fuzz_hostrange/basic"
printf 'n[1-10]x[2-3]\037n[2-4]x2' >"$out/fuzz_hostrange/exclude"
printf 'a,b,c01,c02,c4' >"$out/fuzz_hostrange/list"
mkdir -p "$out/fuzz_hostlist" "$out/fuzz_sshcfg"
printf '@prefill,node[05-06]!@v4:decode&@*\037v4:\n    prefill: "node[01-02]"\n    decode: [node03, "node[04-05]"]\n    all: "@prefill,@decode"\n' \
	>"$out/fuzz_hostlist/groups"
printf 'node[1-8]^node[4-9]\037' >"$out/fuzz_hostlist/ops"
printf 'Host node* !node9\n    HostName %%h.lab\n    User=ops\n    ProxyJump root@b:2222,[fe80::1]:22\nMatch host *.lab !user root\n    IdentityFile ~/.ssh/k_%%r\n    ServerAliveInterval 5\nMatch exec "x"\n    Port 1\n\037node1' \
	>"$out/fuzz_sshcfg/blocks"
printf 'Port 22\nStrictHostKeyChecking accept-new\nUserKnownHostsFile /a /b\n\037x' >"$out/fuzz_sshcfg/opts"
mkdir -p "$out/fuzz_facts"
printf '{"facts":[{"id":"npu-smi-info","cmd":"npu-smi info","state":"ok","exit":0,"ms":1,"truncated":false,"out":"aGVsbG8K","err":""}]}' \
	>"$out/fuzz_facts/one"
mkdir -p "$out/fuzz_checks"
for c in fixtures/checks/*/*/; do
	[ -f "$c/manifest.json" ] || continue
	name=$(echo "${c%/}" | cut -d/ -f3- | tr '/' '_')
	checks_case "${c%/}" >"$out/fuzz_checks/$name"
done
for f in fixtures/checks/*/*/*/*.out; do
	{ byte 0; byte 0; cat "$f"; } >"$out/fuzz_checks/out_$(echo "$f" | cut -d/ -f3- | tr '/' '_')"
done
mkdir -p "$out/fuzz_drift"
S=fixtures/snapshot/reference-cluster.json
{ cat $S; byte 30; sed 's/25\.5\.1/25.5.2/; s/address_3": "10\.20\.2\.14/address_3": "10.20.2.99/' $S; byte 31
  printf '{"versions":"FAIL","serve.env":"ignore"}'; } >"$out/fuzz_drift/changed"
{ cat $S; byte 30; cat $S; } >"$out/fuzz_drift/same"
# Regression inputs found by fuzzing.
for f in fixtures/fuzz/*.bin; do
	[ -f "$f" ] || continue
	t=${f##*/}
	t=${t%%-*}
	mkdir -p "$out/$t"
	cp "$f" "$out/$t/"
done
mkdir -p "$out/fuzz_agent"
# frames as the agent protocol (lib/transport/agent.h) writes them: a hello, then a result with a NUL
printf 'V4AG\001\001\000\000\000\000\000\012\013\000\000\000\0050.1.0' >"$out/fuzz_agent/hello"
printf 'V4AG\001\002\000\000\000\000\000\033\001\000\000\000\004\000\000\000\001\002\000\000\000\004true\003\000\000\000\004\000\000\047\020' \
	>"$out/fuzz_agent/run"
printf 'V4AG\001\004\000\000\000\000\000\026\001\000\000\000\004\000\000\000\001\007\000\000\000\003a\000b\010\000\000\000\000' \
	>"$out/fuzz_agent/result-nul"
