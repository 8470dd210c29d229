#!/bin/sh
# TAP tests for the fake Ascend tools in fixtures/fake/ (npu-smi, hccn_tool, docker, v4fake).
# Run from the repo root: ./tests/cli/fakes.t   (POSIX sh, no python needed)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FAKE="$ROOT/fixtures/fake"
V4FAKE="$FAKE/v4fake"
NPUSMI="$FAKE/bin/npu-smi"
HCCN="$FAKE/bin/hccn_tool"
DOCKER="$FAKE/bin/docker"

T=$(mktemp -d "${TMPDIR:-/tmp}/v4fakes.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
trap 'rm -rf "$T"' EXIT
S="$T/node"
export V4_FAKE_STATE="$S"
unset V4_FAKE_DELAY_MS

n=0; failed=0
ok() { # ok STATUS DESCRIPTION  (STATUS 0 = pass)
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
check() { # check DESCRIPTION CMD...  (runs CMD in a subshell)
	d=$1; shift
	( "$@" ) >/dev/null 2>&1; ok $? "$d"
}

# ---------------------------------------------------------------- init
"$V4FAKE" init "$S" --rank 0 >/dev/null 2>"$T/err"
ok $? "v4fake init creates a state"
check "state has 8 NPUs, TLS 0, links UP" sh -c '[ "$(wc -l < "$1/npus")" -eq 8 ] && [ "$(cat "$1"/tls.*)" = "$(printf "0\n0\n0\n0\n0\n0\n0\n0")" ] && ! grep -qv UP "$1"/link.*' _ "$S"
check "v4fake init refuses to wipe a non-v4fake directory" sh -c 'mkdir "$1/other" && touch "$1/other/keep" && ! "$2" init "$1/other" 2>/dev/null && [ -f "$1/other/keep" ]' _ "$T" "$V4FAKE"

# ---------------------------------------------------------------- missing state
for tool in "$NPUSMI" "$HCCN" "$DOCKER"; do
	( unset V4_FAKE_STATE; "$tool" info >/dev/null 2>"$T/err" ); rc=$?
	[ $rc -eq 1 ] && grep -q V4_FAKE_STATE "$T/err"; ok $? "$(basename "$tool") fails with a message when V4_FAKE_STATE is unset"
done
V4_FAKE_STATE="$T/none" "$NPUSMI" info >/dev/null 2>&1; [ $? -eq 1 ]; ok $? "npu-smi fails when the state dir is missing"

# ---------------------------------------------------------------- npu-smi info
"$NPUSMI" info > "$T/info"; ok $? "npu-smi info exits 0"
cat > "$T/header" <<'H'
+------------------------------------------------------------------------------------------------+
| npu-smi 25.5.1                   Version: 25.5.1                                               |
+---------------------------+---------------+----------------------------------------------------+
| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|
| Chip                      | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |
+===========================+===============+====================================================+
H
head -6 "$T/info" | cmp -s - "$T/header"; ok $? "npu-smi info header lines are exact"
grep -q '^| NPU     Chip              | Process id    | Process name             | Process memory(MB)      |$' "$T/info"
ok $? "process table header is exact"
c=$(grep -cE '^\| [0-7] +910B2 +\| OK +\| ' "$T/info"); [ "$c" -eq 8 ]; ok $? "8 NPU blocks (got $c)"
c=$(grep -cE '^\| 0 +\| 0000:[0-9A-F]{2}:00\.0 +\| ' "$T/info"); [ "$c" -eq 8 ]; ok $? "8 chip lines with Bus-Id"
bad=$(awk 'length($0) != 98' "$T/info" | wc -l); [ "$bad" -eq 0 ]; ok $? "every line of the table is 98 characters ($bad bad)"
order=$(sed -n 's/^| 0 *| 0000:\(..\):00\.0.*/\1/p' "$T/info" | tr '\n' ' ')
[ "$order" = "C1 C2 81 82 01 02 41 42 " ]; ok $? "Bus-Id order C1 C2 81 82 01 02 41 42 (got $order)"
bad=$(sed -n 's/.* \([0-9][0-9]*\) *\/ \([0-9][0-9]*\) *|$/\1 \2/p' "$T/info" | grep -v '^0 0$' | awk '$1 < 3395 || $1 > 3410 || $2 != 65536' | wc -l)
[ "$bad" -eq 0 ]; ok $? "idle HBM used is 3395..3410 of 65536 on every NPU"
c=$(sed -n 's/.* \([0-9][0-9]*\) *\/ 65536 *|$/\1/p' "$T/info" | sort -u | wc -l); [ "$c" -ge 3 ]; ok $? "idle HBM varies per NPU ($c distinct values)"
c=$(grep -c '^| No running processes found in NPU [0-7] *|$' "$T/info"); [ "$c" -eq 8 ]; ok $? "8 'No running processes' lines"

# ---------------------------------------------------------------- held memory / processes
"$V4FAKE" fault "$S" hbm-held 2 "$(( 41052 - $(cat "$S/hbm_idle.2") ))"
"$NPUSMI" info > "$T/info2"
grep -q '^| 0                         | 0000:81:00.0  | 0           0    / 0          41052/ 65536         |$' "$T/info2"
ok $? "hbm-held shows the %-5d/ glue: '41052/ 65536'"
[ "$(awk 'length($0) != 98' "$T/info2" | wc -l)" -eq 0 ]; ok $? "held-memory table is still 98 columns"
grep -q '^| No running processes found in NPU 2 ' "$T/info2"; ok $? "held memory has no process row"
"$V4FAKE" fault "$S" proc-add 5 1333928 - 37709
"$NPUSMI" info > "$T/info3"
grep -q '^| 5       0                 | 1333928       |                          | 37709                   |$' "$T/info3"
ok $? "proc-add prints a process row with a blank name"
! grep -q 'No running processes found in NPU 5' "$T/info3"; ok $? "NPU with a process has no 'No running' line"

# ---------------------------------------------------------------- other npu-smi subcommands
"$NPUSMI" info -l > "$T/l"; grep -q "$(printf '^\tTotal Count                    : 8$')" "$T/l" && [ "$(grep -c 'NPU ID' "$T/l")" -eq 8 ]
ok $? "npu-smi info -l: Total Count 8 and 8 NPU ID blocks"
"$NPUSMI" info -t usages -i 3 > "$T/u"; grep -q "$(printf '^\tNPU Utilization(%%)             : ')" "$T/u" && grep -q 'Aicube Usage Rate(%)' "$T/u" && grep -q 'HBM Capacity(MB)               : 65536' "$T/u"
ok $? "npu-smi info -t usages has the 25.5.1 fields"
"$NPUSMI" info -t ecc -i 0 | grep -q "$(printf '^\tHBM Double Bit Error Count               : 0$')"; ok $? "-t ecc uses 40-wide labels"
"$NPUSMI" info -t board -i 1 | grep -q 'Software Version               : 25.5.1'; ok $? "-t board shows the driver version"
"$NPUSMI" info -t health -i 1 | grep -q 'Health Status                  : OK'; ok $? "-t health OK"
"$NPUSMI" info -m | grep -q 'Ascend 910B2'; ok $? "npu-smi info -m lists Ascend 910B2"
"$NPUSMI" info -t nosuch -i 0 >/dev/null 2>"$T/err"; rc=$?; [ $rc -ne 0 ] && grep -q Usage "$T/err"; ok $? "unknown -t type: usage on stderr, non-zero exit"
"$NPUSMI" frobnicate >/dev/null 2>&1; [ $? -ne 0 ]; ok $? "unknown subcommand fails"
"$V4FAKE" fault "$S" npu-health 4 Alarm
"$NPUSMI" info | grep -qE '^\| 4 +910B2 +\| Alarm +\|'; ok $? "npu-health fault shows in the Health column"

# ---------------------------------------------------------------- hccn_tool TLS
exp='dev_id:0, tls switch[0](0:disable, 1:enable), tls preconfigured[1](0:non-preset, 1:preset), tls alarm time threshold[60]days'
[ "$("$HCCN" -i 0 -tls -g | head -1)" = "$exp" ]; ok $? "-tls -g first line is exact (25.x format)"
"$HCCN" -i 0 -tls -g > "$T/tls"
[ "$(grep -c 'tls expiration status\[0\]' "$T/tls")" -eq 3 ] && grep -q 'end_time\[Sun Mar  6 08:21:43 2050 GMT\]' "$T/tls" && grep -q "$(printf '^\t subject\\[')" "$T/tls"
ok $? "-tls -g prints 3 cert blocks with subject/end_time/expiration status"
out=$("$HCCN" -i 3 -tls -s enable 1); [ "$out" = "Cmd executed successfully!" ]; ok $? "-tls -s enable 1 prints Cmd executed successfully!"
"$HCCN" -i 3 -tls -g | head -1 | grep -q '^dev_id:3, tls switch\[1\]'; ok $? "-tls -s changes what -tls -g prints"
grep -qx 'tls_enable_3=1' "$S/etc/hccn.conf" && grep -qx 'tls_enable_2=0' "$S/etc/hccn.conf"; ok $? "-tls -s updates tls_enable_3 in hccn.conf only"
"$HCCN" -i 3 -tls -s enable 0 >/dev/null; "$HCCN" -i 3 -tls -g | grep -q 'switch\[0\]'; ok $? "-tls -s enable 0 switches it back"
"$V4FAKE" fault "$S" tls-on
c=0; for i in 0 1 2 3 4 5 6 7; do "$HCCN" -i $i -tls -g | grep -q 'tls switch\[1\]' && c=$((c + 1)); done
[ $c -eq 8 ]; ok $? "tls-on fault: all 8 NPUs report switch[1]"
"$V4FAKE" fault "$S" tls-off
"$V4FAKE" fault "$S" tls-nocert 6
"$HCCN" -i 6 -tls -g >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && [ ! -s "$T/out" ] && grep -qx 'No certificate found, please set certs firstly!' "$T/err"; ok $? "tls-nocert: stderr message, exit 1"
rm -f "$S/tls_nocert.6"

# ---------------------------------------------------------------- hccn_tool faults
"$V4FAKE" fault "$S" hccn-busy 1 2
r1=$("$HCCN" -i 1 -link -g); e1=$?; r2=$("$HCCN" -i 1 -link -g); e2=$?; r3=$("$HCCN" -i 1 -link -g); e3=$?
[ "$r1" = "hccn_tool is busy, please try again." ] && [ $e1 -eq 1 ] && [ "$r2" = "$r1" ] && [ $e2 -eq 1 ]
ok $? "hccn-busy 2: two busy answers with exit 1"
[ "$r3" = "link status: UP" ] && [ $e3 -eq 0 ] && [ "$(cat "$S/hccn_busy.1")" = 0 ]; ok $? "busy count decrements to 0, then the call works"
"$V4FAKE" fault "$S" hccn-hang 2
start=$(date +%s)
timeout 1 "$HCCN" -i 2 -link -g >/dev/null 2>&1; rc=$?
el=$(( $(date +%s) - start ))
[ $rc -eq 124 ] && [ $el -le 3 ]; ok $? "hccn-hang: the call hangs until timeout kills it (rc $rc)"
"$HCCN" -i 3 -link -g | grep -q UP; ok $? "a hang on NPU 2 does not affect NPU 3"
rm -f "$S/hccn_hang.2"
"$V4FAKE" fault "$S" hccn-garbage 4
"$HCCN" -i 4 -net_health -g > "$T/garb" 2>&1
LC_ALL=C grep -q '[^[:print:][:space:]]' "$T/garb" && ! grep -q 'net health status' "$T/garb"; ok $? "hccn-garbage prints binary junk"
rm -f "$S/hccn_garbage.4"
"$V4FAKE" fault "$S" link-down 5
[ "$("$HCCN" -i 5 -link -g)" = "link status: DOWN" ]; ok $? "link-down shows link status: DOWN"
"$V4FAKE" fault "$S" net-health 6 "Socket fail"
[ "$("$HCCN" -i 6 -net_health -g)" = "net health status: Socket fail" ]; ok $? "net-health sets the text"
[ "$("$HCCN" -i 0 -net_health -g)" = "net health status: Success" ]; ok $? "healthy NPU: net health status: Success"

# ---------------------------------------------------------------- hccn_tool ip / ping
a=$(sed -n 's/^address_2=//p' "$S/etc/hccn.conf")
[ "$("$HCCN" -i 2 -ip -g)" = "$(printf 'ipaddr:%s\nnetmask:255.255.255.0' "$a")" ]; ok $? "-ip -g matches address_2 of hccn.conf ($a)"
g=$(sed -n 's/^gateway_2=//p' "$S/etc/hccn.conf")
[ "$("$HCCN" -i 2 -gateway -g)" = "default gateway:$g, Iface:eth2" ] && [ "$("$HCCN" -i 2 -netdetect -g)" = "netdetect address: $g" ]
ok $? "-gateway -g and -netdetect -g match hccn.conf"
echo 10.20.1.11 > "$S/peers"
"$HCCN" -i 0 -ping -g address 10.20.1.11 > "$T/ping"
[ "$(sed -n 1p "$T/ping")" = "device 0 PING 10.20.1.11" ] && [ "$(grep -c '^recv seq=[0-9],time=0\.[0-9]\{6\}ms$' "$T/ping")" -eq 3 ] && [ "$(tail -1 "$T/ping")" = "3 packets transmitted, 3 received, 0.00% packet loss" ]
ok $? "ping to a peer NPU IP succeeds (3 packets, 0.00% loss)"
"$HCCN" -i 0 -ping -g address 10.99.0.1 pkt 2 > "$T/ping"
[ "$(grep -c '^recv time out seq=' "$T/ping")" -eq 2 ] && [ "$(tail -1 "$T/ping")" = "2 packets transmitted, 0 received, 100.00% packet loss" ]
ok $? "ping to an unknown IP times out (pkt 2, 100.00% loss)"
"$HCCN" -i 5 -ping -g address 10.20.1.11 | tail -1 | grep -q ' 0 received'; ok $? "ping from a DOWN link fails"
"$V4FAKE" fault "$S" ping-unreachable 1 10.20.1.11
"$HCCN" -i 1 -ping -g address 10.20.1.11 | tail -1 | grep -q ' 0 received' &&
	"$HCCN" -i 0 -ping -g address 10.20.1.11 | tail -1 | grep -q ' 3 received'
ok $? "ping-unreachable: that NPU loses that peer, the others reach it"
"$V4FAKE" fault "$S" netdetect-set 3 10.30.0.1 && "$V4FAKE" fault "$S" gateway-set 3 10.30.0.254
[ "$("$HCCN" -i 3 -netdetect -g)" = "netdetect address: 10.30.0.1" ] &&
	[ "$("$HCCN" -i 3 -gateway -g)" = "default gateway:10.30.0.254, Iface:eth3" ]
ok $? "netdetect-set and gateway-set change that NPU's -netdetect -g and -gateway -g"
[ "$(cat "$S/sys/devices/system/node/node1/cpulist")" = 1 ] &&
	[ "$(cat "$S/sys/bus/pci/devices/0000:82:00.0/numa_node")" = 0 ] &&
	[ "$(cat "$S/sys/bus/pci/devices/0000:41:00.0/numa_node")" = 1 ] && [ "$(cat "$S/worker_cpus.6")" = 1 ]
ok $? "init: a NUMA layout (NPUs 0-3 on node 0, 4-7 on node 1) and each worker's CPUs"
"$V4FAKE" fault "$S" worker-cpus 6 0 && [ "$(cat "$S/worker_cpus.6")" = 0 ]; ok $? "worker-cpus sets a worker's CPUs"
"$HCCN" -i 0 -lldp -g | grep -q "$(printf '^\tIfname: ')"; ok $? "-lldp -g gives an Ifname line"
"$V4FAKE" fault "$S" npu-missing 7
"$HCCN" -i 7 -link -g >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qx 'Cmd execute failed!' "$T/err"; ok $? "device not in the NPU list: Cmd execute failed!, exit 1"
c=$("$NPUSMI" info | grep -cE '^\| [0-9]+ +910B2 '); [ "$c" -eq 7 ]; ok $? "npu-missing 7: npu-smi shows 7 NPUs"
"$HCCN" -i 0 -bogus -g >/dev/null 2>&1; [ $? -ne 0 ]; ok $? "unknown hccn_tool op fails"

# ---------------------------------------------------------------- docker
"$DOCKER" inspect vllm > "$T/inspect"; ok $? "docker inspect vllm exits 0"
if command -v python3 >/dev/null 2>&1; then
	python3 -m json.tool < "$T/inspect" >/dev/null 2>&1; ok $? "docker inspect output is valid JSON"
else
	skip "python3 not available: JSON validity not checked"
fi
grep -q '"Image": "quay.io/ascend/vllm-ascend:v0.21.0rc1"' "$T/inspect" && grep -q '"NetworkMode": "host"' "$T/inspect" && grep -q '"ShmSize": 1610612736000,' "$T/inspect" && grep -q '"Running": true' "$T/inspect"
ok $? "inspect: image, host network, 1500g shm, running"
[ "$(grep -c '"PathOnHost": "/dev/davinci[0-7]"' "$T/inspect")" -eq 8 ] && grep -q '"PathOnHost": "/dev/hisi_hdc"' "$T/inspect" && grep -q '"/usr/local/Ascend/driver:/usr/local/Ascend/driver"' "$T/inspect"
ok $? "inspect: 8 davinci devices, hisi_hdc, driver bind"
grep -q '"HCCL_IF_IP=192.168.0.72"' "$T/inspect" && grep -q '"GLOO_SOCKET_IFNAME=bond1"' "$T/inspect"; ok $? "inspect: deployment env with HCCL_IF_IP of rank 0"
"$DOCKER" inspect nope >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qx 'Error: No such object: nope' "$T/err"; ok $? "inspect of an unknown name: Error: No such object"
[ "$("$DOCKER" inspect -f '{{.State.Running}}' vllm)" = true ]; ok $? "inspect -f {{.State.Running}}"
"$V4FAKE" fault "$S" container-env-unset GLOO_SOCKET_IFNAME
"$V4FAKE" fault "$S" container-device-remove /dev/davinci3
"$DOCKER" inspect vllm > "$T/inspect2"
! grep -q GLOO_SOCKET_IFNAME "$T/inspect2" && ! grep -q '/dev/davinci3"' "$T/inspect2"; ok $? "env and device faults change inspect"
"$DOCKER" exec vllm cat /usr/local/Ascend/driver/version.info | grep -qx 'Version=25.5.1'; ok $? "docker exec cat reads container_root"
[ "$("$DOCKER" exec vllm sh -c 'echo "$HCCL_SOCKET_IFNAME:$HCCL_IF_IP"; test -f "$CROOT/usr/local/Ascend/cann/aarch64-linux/ascend_toolkit_install.info" && echo cann')" = "$(printf 'bond1:192.168.0.72\ncann')" ]
ok $? "docker exec sh -c sees the container env and CROOT"
[ "$("$DOCKER" exec vllm sh -c 'echo "$HOME"; ls "$HOME"/ascend/log/debug/plog/' v4logs)" = "$(printf '/root\nplog-4242_20260501080010123.log')" ]
ok $? "docker exec sh -c: HOME is root's in the container, paths shown as the container sees them"
"$DOCKER" exec vllm sh -c 'exit 4'; [ $? -eq 4 ]; ok $? "docker exec sh -c: the script's exit status"
[ "$("$DOCKER" inspect --format '{{.State.StartedAt}}' vllm)" = 2026-05-01T08:00:03.482114551Z ]; ok $? "inspect --format {{.State.StartedAt}}"
"$DOCKER" logs --since 2026-05-01T08:00:03.482114551Z --tail 2 vllm > "$T/logs"
[ "$(wc -l < "$T/logs")" -eq 2 ] && grep -q 'Route: /ping, Methods: GET' "$T/logs"; ok $? "docker logs --since --tail 2: the last two lines of the container's log"
"$V4FAKE" fault "$S" log-line 'EI0006: x'
"$DOCKER" logs vllm | tail -n 1 | grep -qx 'EI0006: x'; ok $? "log-line appends to the container's log"
"$DOCKER" logs --since yesterday vllm >/dev/null 2>&1; [ $? -eq 1 ]; ok $? "docker logs --since of no time docker takes: refused"
"$DOCKER" logs nope >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 1 ] && grep -qx 'Error response from daemon: No such container: nope' "$T/err"; ok $? "docker logs of an unknown name: No such container"
"$V4FAKE" fault "$S" plog-line '[ERROR] HCCL(1,python3):x'
"$DOCKER" exec vllm tail -n 1 /root/ascend/log/debug/plog/plog-4242_20260501080010123.log | grep -qxF '[ERROR] HCCL(1,python3):x'; ok $? "plog-line appends to the engine's debug plog"
"$DOCKER" exec vllm cat /no/such/file >/dev/null 2>"$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q '^cat: /no/such/file:' "$T/err"; ok $? "docker exec cat of a missing file fails with the container path"
"$HCCN" -i 0 -link_stat -g > "$T/ls0"
head -n 1 "$T/ls0" | grep -Eq '^\[devid 0\]current time        : [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}$' &&
	grep -qx '\[devid 0\]link down count     : 0' "$T/ls0" && [ "$(grep -c 'LINK' "$T/ls0")" -eq 1 ]
ok $? "-link_stat -g: current time, counts, one LINK UP record"
echo 3 > "$S/link_flaps.2"; echo 1764633600 > "$S/link_stat_now"
"$HCCN" -i 2 -link_stat -g > "$T/ls2"
grep -qx '\[devid 2\]current time        : Tue Dec  2 00:00:00 2025' "$T/ls2" && [ "$(grep -c 'LINK DOWN$' "$T/ls2")" -eq 3 ] &&
	grep -qx '\[devid 2\]link up count       : 4' "$T/ls2"
ok $? "-link_stat -g: link_flaps.2 = 3 gives three LINK DOWN records, link_stat_now the clock"
rm -f "$S/link_flaps.2" "$S/link_stat_now"
# -pfc -g, -stat -g, -optical -g: the published formats (fixtures/parse/hccn-pfc-g.*,
# hccn-stat-g.*, hccn-optical-g.*) and their state knobs
"$HCCN" -i 1 -pfc -g > "$T/pfc1"; sed 1d "$ROOT/fixtures/parse/hccn-pfc-g.hicann-hixl-guide.txt" | cmp -s - "$T/pfc1"
ok $? "-pfc -g: the hixl guide's output (priority 4) by default"
echo "0 0 0 1 0 0 0 0" > "$S/pfc.3"
"$HCCN" -i 3 -pfc -g | grep -qx 'enabled    0 0 0 1 0 0 0 0'
ok $? "-pfc -g: pfc.3 sets NPU 3's flags"
rm -f "$S/pfc.3"
"$HCCN" -i 0 -stat -g > "$T/st0"; sed 1d "$ROOT/fixtures/parse/hccn-stat-g.driver-source-a2.txt" | cmp -s - "$T/st0"
ok $? "-stat -g: the driver's counter list with idle counts"
echo 1700000010 > "$S/stat_now"; echo "roce_qp_status_err_num 2" > "$S/stat_grow.5"
"$HCCN" -i 5 -stat -g | grep -qx 'roce_qp_status_err_num:20' && echo 1700000013 > "$S/stat_now" &&
	"$HCCN" -i 5 -stat -g | grep -qx 'roce_qp_status_err_num:26'
ok $? "-stat -g: stat_grow.5 makes a counter grow with stat_now"
rm -f "$S/stat_now" "$S/stat_grow.5"
"$HCCN" -i 0 -optical -g > "$T/op0"
head -n 2 "$T/op0" | tail -n 1 | grep -qx 'present              : present' && grep -qx 'Rx Power2            : 0.9907 mW' "$T/op0" &&
	grep -qx 'RxPower Low Thres    : 0.1445 mW' "$T/op0" && [ "$(wc -l < "$T/op0")" -eq 36 ]
ok $? "-optical -g: a present module within its thresholds, the FaultDiag capture's layout"
echo 0.0400 > "$S/optical_rx.4"; touch "$S/optical_absent.6"
"$HCCN" -i 4 -optical -g | grep -qx 'Rx Power3            : 0.0400 mW' &&
	"$HCCN" -i 6 -optical -g | grep -qx 'RxPower Low Thres    : NA'
ok $? "-optical -g: optical_rx.4 sets the Rx power, optical_absent.6 prints NA"
rm -f "$S/optical_rx.4" "$S/optical_absent.6"
"$DOCKER" exec vllm python3 -c 'import hashlib ...' > "$T/so1"
head -n 1 "$T/so1" | grep -qx 'package vllm_ascend 0.21.0rc1' && tail -n 1 "$T/so1" | grep -qx end &&
	[ "$(grep -Ec '^[0-9a-f]{64}  (vllm_ascend|torch_npu)/.*\.so$' "$T/so1")" -eq 4 ]
ok $? "docker exec python3 hash query: package lines, 4 sha256sum lines, end"
"$V4FAKE" fault "$S" so-rebuilt torch_npu/lib/libtorch_npu.so
"$DOCKER" exec vllm python3 -c 'import hashlib ...' > "$T/so2"
[ "$(diff "$T/so1" "$T/so2" | grep -c '^[<>]')" -eq 2 ] && grep -q ' torch_npu/lib/libtorch_npu.so$' "$T/so2" &&
	! diff "$T/so1" "$T/so2" | grep -v libtorch_npu | grep -q '^[<>]'
ok $? "so-rebuilt changes that file's hash only"
echo missing > "$S/container_pkg_torch_npu"
"$DOCKER" exec vllm python3 -c 'import hashlib ...' | grep -qx 'package torch_npu missing'; ok $? "hash query: a missing package"
rm -f "$S/container_pkg_torch_npu"
"$DOCKER" ps | grep -q ' vllm$'; ok $? "docker ps lists vllm"
[ "$(cat "$S/hbm_used.2")" -gt 40000 ] && [ -s "$S/procs" ]; ok $? "before restart: memory held and a process row"
[ "$("$DOCKER" restart vllm)" = vllm ]; ok $? "docker restart vllm prints vllm"
"$NPUSMI" info > "$T/info4"
c=$(grep -c 'No running processes found' "$T/info4"); [ "$c" -eq 7 ] && ! grep -q '41052/' "$T/info4" && [ ! -s "$S/procs" ]
ok $? "docker restart clears held memory and processes"
bad=$(sed -n 's/.* \([0-9][0-9]*\) *\/ 65536 *|$/\1/p' "$T/info4" | awk '$1 < 3395 || $1 > 3410' | wc -l); [ "$bad" -eq 0 ]; ok $? "after restart HBM is back to idle"
"$V4FAKE" fault "$S" container-stopped
[ "$("$DOCKER" inspect -f '{{.State.Running}}' vllm)" = false ] && ! "$DOCKER" ps | grep -q vllm && "$DOCKER" ps -a | grep -q 'Exited'; ok $? "container-stopped: not running, only in ps -a"
"$DOCKER" exec vllm cat /etc/hccn.conf >/dev/null 2>&1; [ $? -ne 0 ]; ok $? "docker exec on a stopped container fails"

echo 7.8.0.5.200 > "$S/firmware_version.3"
"$NPUSMI" info -t board -i 3 | grep -q 'Firmware Version *: 7.8.0.5.200$' && "$NPUSMI" info -t board -i 2 | grep -q 'Firmware Version *: 7.8.0.6.201$'
ok $? "firmware_version.N: one NPU's own firmware in -t board"
rm -f "$S/firmware_version.3"

# other containers (ps, inspect): another instance holding NPUs 2,3, a stopped privileged one
"$V4FAKE" fault "$S" other-container mindie 2,3 && "$V4FAKE" fault "$S" other-container-env mindie ASCEND_RT_VISIBLE_DEVICES=0,1 &&
	"$V4FAKE" fault "$S" other-container old privileged && "$V4FAKE" fault "$S" other-container-stopped old
ok $? "v4fake other-container, -env, -stopped"
"$DOCKER" ps | grep -q ' mindie$' && ! "$DOCKER" ps | grep -q ' old$' && "$DOCKER" ps -a | grep -q ' old$'; ok $? "docker ps lists the running other container, ps -a the stopped one too"
[ "$("$DOCKER" ps -q | wc -l)" = 1 ]; ok $? "docker ps -q: the running ones only (vllm is stopped here)"
"$DOCKER" inspect mindie old vllm | python3 -c 'import json, sys
d = json.load(sys.stdin)
assert [x["Name"] for x in d] == ["/mindie", "/old", "/vllm"], d
assert [y["PathOnHost"] for y in d[0]["HostConfig"]["Devices"]][:2] == ["/dev/davinci2", "/dev/davinci3"]
assert "ASCEND_RT_VISIBLE_DEVICES=0,1" in d[0]["Config"]["Env"]
assert d[1]["HostConfig"]["Privileged"] is True and d[1]["State"]["Running"] is False'
ok $? "docker inspect of several containers: one JSON array, their devices, env, privileged, state"
[ "$("$DOCKER" inspect -f '{{.Name}}' "$(cut -c1-12 "$S/others/mindie/container_id")")" = /mindie ]; ok $? "docker inspect -f by short id of another container"
"$V4FAKE" fault "$S" other-container-remove mindie && ! "$DOCKER" inspect mindie >/dev/null 2>&1; ok $? "other-container-remove: gone"
"$V4FAKE" fault "$S" other-container-remove old

"$V4FAKE" fault "$S" container-ulimit nofile 1024 4096 && "$V4FAKE" fault "$S" container-ulimit memlock -1 -1 &&
	"$DOCKER" inspect vllm | python3 -c 'import json, sys
u = json.load(sys.stdin)[0]["HostConfig"]["Ulimits"]
assert u == [{"Name": "nofile", "Hard": 4096, "Soft": 1024}, {"Name": "memlock", "Hard": -1, "Soft": -1}], u'
ok $? "container-ulimit: HostConfig.Ulimits as docker prints them"
rm -f "$S/container_ulimits"

# ---------------------------------------------------------------- delay
if d0=$(date +%s%N) && case $d0 in *N) false ;; esac; then
	V4_FAKE_DELAY_MS=300 "$HCCN" -i 0 -link -g >/dev/null
	d1=$(date +%s%N); ms=$(( (d1 - d0) / 1000000 ))
	[ $ms -ge 300 ]; ok $? "V4_FAKE_DELAY_MS=300 delays the call (${ms} ms)"
	echo 250 > "$S/delay_ms"; d0=$(date +%s%N); "$NPUSMI" info >/dev/null; d1=$(date +%s%N); ms=$(( (d1 - d0) / 1000000 ))
	[ $ms -ge 250 ]; ok $? "state file delay_ms delays the call (${ms} ms)"
	rm -f "$S/delay_ms"
else
	skip "date +%N not supported"; skip "date +%N not supported"
fi

"$V4FAKE" show "$S" | grep -q '^tls.0 *0$'; ok $? "v4fake show prints the state"

echo "1..$n"
[ $failed -eq 0 ]
