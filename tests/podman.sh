# tests/podman.sh: sourced by shell tests that run podman. podman_setup points
# podman at a containers.conf and a storage.conf under $T (this machine: no
# Docker engine, crun refuses the kernel's hybrid cgroups, so runc with the
# cgroupfs manager; ulimits podman cannot raise are pinned). Returns 1 (with
# the reason in $podman_why) when podman or runc is missing.
podman_setup() {
	podman_why=
	for t in podman runc; do
		if ! command -v "$t" >/dev/null 2>&1; then
			podman_why="$t not installed"
			return 1
		fi
	done
	mkdir -p "$T/podman/graph" "$T/podman/run" "$T/podman/tmp"
	cat >"$T/podman/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/podman/events.log"
tmp_dir = "$T/podman/tmp"
EOC
	cat >"$T/podman/storage.conf" <<EOC
[storage]
driver = "vfs"
graphroot = "$T/podman/graph"
runroot = "$T/podman/run"
EOC
	export CONTAINERS_CONF="$T/podman/containers.conf"
	export CONTAINERS_STORAGE_CONF="$T/podman/storage.conf"
	# no registries.conf lookups for short names: an image that is not local is an error
	cat >"$T/podman/registries.conf" <<EOC
unqualified-search-registries = []
short-name-mode = "disabled"
EOC
	export CONTAINERS_REGISTRIES_CONF="$T/podman/registries.conf"
	return 0
}
