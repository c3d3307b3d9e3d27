# ckconv.bash - bash completion for ckconv (installed by `make install` as
# share/bash-completion/completions/ckconv).
#
# Why it exists, and why here: it completes the command of this folder,
# and it reads everything it offers from that command at completion time,
# so it cannot drift from it: subcommands and each subcommand's options
# from the usage text (`ckconv --help`), format names from `ckconv
# formats`, literal option values (`--layout v4|v5`, `--dtype ...`) from
# the usage again.  Positional arguments complete as folders (convert,
# inspect, verify) or files (commands that read a FILE); the checkpoint
# arguments also as the repo ids of the Hugging Face hub cache, and
# --revision as the refs of the repo id on the line.  It needs only bash,
# not the bash-completion package.

# The usage lines of one subcommand ("formats", "config export", ...),
# continuation lines included.
_ckconv_usage_of() {
  printf '%s\n' "$1" | awk -v c="ckconv $2" '
    /^  ckconv / { on = (index($0, "  " c " ") == 1 || $0 == "  " c) }
    /^  ckconv / || /^   +[^ ]/ { if (on) print }'
}

# The hub cache folder, found as ckconv finds it (runtime/io/ck_hub.c).
_ckconv_hub() {
  local d
  if [[ -n ${HF_HUB_CACHE:-} ]]; then d=$HF_HUB_CACHE
  elif [[ -n ${HUGGINGFACE_HUB_CACHE:-} ]]; then d=$HUGGINGFACE_HUB_CACHE
  elif [[ -n ${HF_HOME:-} ]]; then d=$HF_HOME/hub
  else d=${XDG_CACHE_HOME:-~/.cache}/huggingface/hub
  fi
  printf '%s\n' "${d/#\~/$HOME}"
}

# The repo ids in the cache (models--ORG--NAME -> ORG/NAME).
_ckconv_repo_ids() {
  local d n hub
  hub=$(_ckconv_hub)
  for d in "$hub"/models--*; do
    [[ -d $d/snapshots ]] || continue
    n=${d##*/models--}
    printf '%s\n' "${n//--//}"
  done
}

# The refs (branches, tags, refs/pr/N) of the repo ids among the words.
_ckconv_revisions() {
  local w hub
  hub=$(_ckconv_hub)
  for w in "${COMP_WORDS[@]}"; do
    [[ $w == */* || $w =~ ^[A-Za-z0-9_.-]+$ ]] || continue
    [[ -e $w || ! -d $hub/models--${w//\//--}/refs ]] && continue
    (cd "$hub/models--${w//\//--}/refs" && find . -type f | sed 's|^\./||')
  done
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
          REV) vals+=" $(_ckconv_revisions)" ;;
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
    [[ $lines == *--revision* ]] &&
      COMPREPLY+=($(compgen -W "$(_ckconv_repo_ids)" -- "$cur"))
  fi
  return 0
}

complete -F _ckconv ckconv
