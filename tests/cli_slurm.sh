# tests/cli_slurm.sh: `logiq sweep --slurm` on a real single-node Slurm:
# starts munged (unless it runs) and a private slurmctld and slurmd (their
# own slurm.conf, ports, state and spool in the scratch folder), submits the
# array job that `--slurm` writes with sbatch, waits for it, merges the
# shards, and compares the store with the same sweep run by the local
# executor: same points, same figures. Stops its daemons on exit.
#
# Needs root and Debian's slurm-wlm and munge (scripts/install-deps.sh
# installs them). Where Slurm cannot be started (no root, no packages, munge
# or the daemons failing) it is skipped (exit 77) with the reason, and
# cli_sweep.sh still tests the script and the shard merge without a
# controller. Once the daemons are up, every failure is a failure.
# Usage: bash cli_slurm.sh <path to logiq> <scratch dir>
set -u
logiq=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir"
. "$(dirname "$0")/testlib.sh"
cd "$dir" || exit 1

for b in slurmctld slurmd sbatch squeue munged; do
    if ! command -v "$b" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$b" ]; then
        echo "skip: $b not installed (Debian slurm-wlm, munge)"
        exit 77
    fi
done
if [ "$(id -u)" != 0 ]; then
    echo "skip: starting slurmd needs root"
    exit 77
fi
PATH=$PATH:/usr/sbin

# munge: the node's own daemon, started if it is not running
if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge && chown munge:munge /run/munge
    [ -s /etc/munge/munge.key ] || { mungekey -c 2>/dev/null || create-munge-key -f; chown munge:munge /etc/munge/munge.key; }
    su -s /bin/sh munge -c munged
fi
if ! munge -n | unmunge >/dev/null 2>&1; then
    echo "skip: munge does not work here, so Slurm cannot start"
    exit 77
fi

# a private controller and node daemon; ports from the process id, so that
# two runs (or a real cluster's daemons) do not collide
host=$(hostname)
port=$((20000 + ($$ % 20000)))
mkdir -p state spool
cat >slurm.conf <<EOF2
ClusterName=logiqtest
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SchedulerType=sched/builtin
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=logiq Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF2
export SLURM_CONF=$dir/slurm.conf
stop() {  # the daemons started with this folder's slurm.conf, and theirs
    pkill -TERM -f -- "-f $dir/slurm.conf" 2>/dev/null
    for _ in $(seq 1 20); do
        pgrep -f -- "-f $dir/slurm.conf" >/dev/null || return 0
        sleep 0.25
    done
    pkill -KILL -f -- "-f $dir/slurm.conf" 2>/dev/null
    return 0
}
trap stop EXIT
slurmctld -f "$SLURM_CONF" && slurmd -f "$SLURM_CONF"
up=1
for _ in $(seq 1 30); do
    sinfo -h -o %T 2>/dev/null | grep -q idle && { up=0; break; }
    sleep 1
done
if [ $up != 0 ]; then  # cannot be started here: say so, and skip
    echo "skip: the Slurm daemons did not come up; their logs:"
    tail -n 5 slurmctld.log slurmd.log 2>/dev/null
    exit 77
fi
echo "ok   slurmctld and slurmd are up, the node idle"

cat >s.ini <<EOF2
[network]
arch = "c8,c8+{merge},p,c16,p,f10"
merge = or, add, mux
[train]
epochs = 1
data = synthetic
train_limit = 256
test_limit = 64
EOF2
"$logiq" sweep s.ini --store slurm.db --slurm -j 2 >slurm.out 2>&1
check "--slurm writes the array job of 3 tasks" "$(grep -q '^#SBATCH --array=0-2%2' slurm.d/slurm.sh; echo $?)"
jid=$(sbatch --parsable slurm.d/slurm.sh)
check "sbatch accepts it (job $jid)" "$([ -n "$jid" ]; echo $?)"
gone=1
for _ in $(seq 1 300); do
    [ -z "$(squeue -h -j "$jid" 2>/dev/null)" ] && { gone=0; break; }
    sleep 1
done
check "the array job ran to its end" $gone
check "3 tasks, 3 shards" "$([ "$(ls slurm.d/shards/*.db 2>/dev/null | wc -l)" = 3 ]; echo $?)"
"$logiq" sweep s.ini --store slurm.db --merge slurm.d/shards >merge.out 2>&1
check "--merge folds them in" "$(grep -q 'merged 3 shards (3 rows)' merge.out; echo $?)"

"$logiq" sweep s.ini --store local.db -j 2 -q >local.out 2>&1
fig="SELECT key, status, acc_int, acc_sim, sim_match, gates_nand2, cycles, energy_op_pj, energy_act_pj FROM points ORDER BY key"
check "the same points and figures as the local executor" \
    "$([ "$(q slurm.db "$fig")" = "$(q local.db "$fig")" ] && [ "$(q slurm.db "SELECT COUNT(*) FROM points WHERE status = 'done'")" = 3 ]; echo $?)"
exit $fail
