# SPDX-License-Identifier: Apache-2.0
# bash completion for policyc (installed as share/bash-completion/completions/policyc).

_policyc() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi

  local subcommands="check import-docker export-docker export-oci explain query diff groups"
  local compile_opts="-o --output --emit-bpf --backend --profile --require-rootfs --werror --no-lint --version -h --help"
  local subcommand="" i
  for ((i = 1; i < cword; i++)); do
    case " $subcommands " in *" ${words[i]} "*) subcommand=${words[i]}; break ;; esac
  done

  case "$prev" in
    --backend) COMPREPLY=($(compgen -W "auto policyc libseccomp" -- "$cur")); return ;;
    --arch) COMPREPLY=($(compgen -W "x86_64 x86 x32" -- "$cur")); return ;;
    --caps|--kernel|--k8s-manifest) return ;;
    -o|--output|--emit-bpf|--profile) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac

  local opts files="-f"
  case "$subcommand" in
    "")            opts=$compile_opts
                   if [[ $cur != -* ]]; then
                     COMPREPLY=($(compgen -W "$subcommands" -- "$cur") $(compgen -f -X '!*.pol' -- "$cur") $(compgen -d -- "$cur"))
                     return
                   fi ;;
    check)         opts="--backend --profile --require-rootfs --werror --no-lint -h --help" ;;
    import-docker) opts="-o --output --caps --arch --kernel -h --help" ;;
    export-docker) opts="-o --output --k8s-manifest -h --help" ;;
    export-oci)    opts="-o --output --runc-compat -h --help" ;;
    explain)       opts="--profile --backend -h --help" ;;
    query|diff)    opts="--caps --kernel -h --help" ;;
    groups)        opts="--markdown -h --help"
                   files=""
                   if [[ $cur != -* ]]; then
                     local names
                     names=$(policyc groups 2>/dev/null | grep -o '^@[a-z0-9-]*' | sort -u)
                     COMPREPLY=($(compgen -W "$names" -- "$cur"))
                     return
                   fi ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [ -n "$files" ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _policyc policyc
