# bash completion for strata
_strata() {
	local cur prev cmd
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmds="build run gen step parse images inspect history tag rmi import export save load gc prune version help"
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	local opts=
	case $cmd in
	build) opts="-f --file -t --tag --build-arg --target --platform --no-cache --label --keep-modes --pull --network --secret --drop-volatile --compression --compression-level --allow-foreign-deflate -o --output --iidfile --progress -q --quiet --help" ;;
	gen) opts="--make --ninja --builddir --input --layer-jobs -f --file -t --tag --build-arg --target --platform --label --keep-modes --network --secret --drop-volatile --compression --compression-level --allow-foreign-deflate -o --output --help" ;;
	run) opts="--rm --network -e --env -v --volume --help" ;;
	parse) opts="--dump --json --context --build-arg --target --platform --help" ;;
	images) opts="-q --quiet --no-trunc --format --help" ;;
	inspect) opts="-f --format --config --manifest --help" ;;
	history) opts="--no-trunc -q --quiet --help" ;;
	rmi) opts="-f --force --help" ;;
	export) opts="--compression --compression-level --allow-foreign-deflate --help" ;;
	save) opts="-o --output --format --compression --compression-level --allow-foreign-deflate --help" ;;
	load) opts="-i --input --help" ;;
	gc | prune) opts="-a --all --help" ;;
	help) COMPREPLY=($(compgen -W "$cmds" -- "$cur")); return ;;
	*) opts="--help" ;;
	esac
	case $prev in
	-f | --file | --iidfile | -i | --input | --context) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--progress) COMPREPLY=($(compgen -W "auto plain tty quiet" -- "$cur")); return ;;
	--format) [ "$cmd" = save ] && COMPREPLY=($(compgen -W "docker-archive oci-archive" -- "$cur")) || COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
	esac
	case $cur in
	-*) COMPREPLY=($(compgen -W "$opts" -- "$cur")) ;;
	*)
		case $cmd in
		inspect | history | tag | rmi | export | save)
			COMPREPLY=($(compgen -W "$(strata images 2>/dev/null | awk 'NR > 1 {print $1 ":" $2}')" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac ;;
	esac
}
complete -F _strata strata
