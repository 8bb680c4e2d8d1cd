# SPDX-License-Identifier: Apache-2.0
# bash completion for plan-exec (installed as share/bash-completion/completions/plan-exec).

_plan_exec() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi
  local i
  # After `--` the rest is the command run inside the container: complete nothing of ours.
  for ((i = 1; i < cword; i++)); do
    [ "${words[i]}" = "--" ] && return
  done
  case "$prev" in
    --learn) COMPREPLY=($(compgen -f -X '!*.pol' -- "$cur") $(compgen -d -- "$cur")); return ;;
    --instance) return ;;
  esac
  case "$cur" in
    --denials=*)
      COMPREPLY=($(compgen -W "off stderr json" -- "${cur#--denials=}"))
      return ;;
    -*)
      COMPREPLY=($(compgen -W "--dry-run --stats --init -t --tty --instance --denials= --learn --cleanup
                              --prune-cache --list-steps --help --version --" -- "$cur"))
      [[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace
      return ;;
  esac
  COMPREPLY=($(compgen -f -X '!*.plan' -- "$cur") $(compgen -d -- "$cur"))
}
complete -o filenames -F _plan_exec plan-exec
