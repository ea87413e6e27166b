# SPDX-License-Identifier: GPL-2.0-only
# bash completion for optguard(8)
_optguard()
{
	local cur prev words cword
	_init_completion || return
	local cmds="run check explain status reload unload options help"

	if [[ $cword -eq 1 ]]; then
		COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		return
	fi
	case $prev in
	--policy | --prometheus)
		_filedir
		return
		;;
	--pin-dir | --cgroup)
		_filedir -d
		return
		;;
	--uid)
		COMPREPLY=($(compgen -u -- "$cur"))
		return
		;;
	esac
	case ${words[1]} in
	run) COMPREPLY=($(compgen -W "--policy --insecure-policy --help" -- "$cur")) ;;
	check) _filedir ini ;;
	status) COMPREPLY=($(compgen -W "--pin-dir --prometheus --help" -- "$cur")) ;;
	reload) COMPREPLY=($(compgen -W "--pin-dir --policy --help" -- "$cur")) ;;
	unload) COMPREPLY=($(compgen -W "--pin-dir --help" -- "$cur")) ;;
	explain)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--policy --cgroup --uid --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(optguard options 2>/dev/null |
				awk '/^[A-Z_0-9]+ +SOL_|^[A-Z_0-9]+ +IPPROTO_/ {print $1}
				     /^[A-Z_0-9*]+ +[A-Z_0-9]+,[A-Z_0-9]/ {print $1}')" -- "$cur"))
		fi
		;;
	esac
} &&
	complete -F _optguard optguard
