# ckconv.bash - bash completion for ckconv (installed by `make install` as
# share/bash-completion/completions/ckconv).
#
# Why it exists, and why here: it completes the command of this folder,
# and it reads everything it offers from that command at completion time,
# so it cannot drift from it: subcommands and each subcommand's options
# from the usage text (`ckconv --help`), format names from `ckconv
# formats`, literal option values (`--layout v4|v5`, `--dtype ...`) from
# the usage again.  Positional arguments complete as folders (convert,
# inspect, verify) or files (commands that read a FILE).  It needs only
# bash, not the bash-completion package.

# The usage lines of one subcommand ("formats", "config export", ...),
# continuation lines included.
_ckconv_usage_of() {
  printf '%s\n' "$1" | awk -v c="ckconv $2" '
    /^  ckconv / { on = (index($0, "  " c " ") == 1 || $0 == "  " c) }
    /^  ckconv / || /^   +[^ ]/ { if (on) print }'
}

_ckconv() {
  local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]}
  local prev= usage cmd lines opts vals arg w i
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}
  COMPREPLY=()
  usage=$(command "$prog" --help 2>&1) || return 0

  if ((COMP_CWORD == 1)); then
    w=$(printf '%s\n' "$usage" | awk '/^  ckconv /{print $2}' | sort -u)
    COMPREPLY=($(compgen -W "$w --help" -- "$cur"))
    return 0
  fi
  cmd=${COMP_WORDS[1]}
  if [[ $cmd == config ]]; then
    if ((COMP_CWORD == 2)); then
      w=$(printf '%s\n' "$usage" | awk '/^  ckconv config /{print $3}')
      COMPREPLY=($(compgen -W "$w" -- "$cur"))
      return 0
    fi
    cmd="config ${COMP_WORDS[2]}"
  fi
  lines=$(_ckconv_usage_of "$usage" "$cmd")
  [[ -n $lines ]] || return 0

  # The value of an option: what the usage shows after it.
  if [[ $prev == -* ]]; then
    [[ $prev == --format ]] && prev=-f
    arg=$(printf '%s\n' "$lines" | grep -oE -- "(^|[[ ])$prev [^] ]+" | head -n 1)
    if [[ -n $arg ]]; then
      arg=${arg##* }
      vals=
      for w in ${arg//|/ }; do
        case $w in
          FORMAT) vals+=" $(command "$prog" formats 2>/dev/null | awk 'NR > 1 {print $1}')"
                  [[ $prev == --to || $prev == --from ]] && vals+=" fast_llm" ;;
          FILE) compopt -o filenames 2>/dev/null
                COMPREPLY+=($(compgen -f -- "$cur")) ;;
          *[A-Z]*) ;;                       # a placeholder: N, KEY, ...
          *) vals+=" $w" ;;
        esac
      done
      COMPREPLY+=($(compgen -W "$vals" -- "$cur"))
      return 0
    fi
    case $prev in                     # -f, --to, --from of other subcommands
      -f|--format|--to|--from)
        COMPREPLY=($(compgen -W "$(command "$prog" formats 2>/dev/null |
                     awk 'NR > 1 {print $1}')" -- "$cur"))
        return 0 ;;
    esac
  fi

  if [[ $cur == -* ]]; then
    opts=$(printf '%s\n' "$lines" | grep -oE -- '(^|[[ ])--?[a-zA-Z][-a-zA-Z0-9]*' \
           | tr -d '[ ' | sort -u)
    [[ " $opts " == *" -f "* ]] && opts+=" --format"
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return 0
  fi
  compopt -o filenames 2>/dev/null
  if [[ $lines == *FILE* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -d -- "$cur"))
  fi
  return 0
}

complete -F _ckconv ckconv
