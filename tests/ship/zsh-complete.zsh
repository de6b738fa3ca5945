# Drive an interactive zsh through a pseudo-terminal for tests/ship/check.sh:
# with the completion functions in FPATH_DIR, type each LINE, press TAB twice,
# and print "== LINE" followed by what zsh showed.
# Usage: zsh -f zsh-complete.zsh FPATH_DIR LINE...
# SPDX-License-Identifier: MIT OR Apache-2.0
zmodload zsh/zpty || exit 1
dir=$1
shift
zpty z 'TERM=dumb zsh -f -i'
zpty -w z "PS1='P>'; fpath=($dir \$fpath); autoload -U compinit; compinit -u -d $dir/dump"
# Wait (at most 20 s) for the first prompt after that set-up, so that a slow compinit on a
# busy machine is not taken for the answer to the first line.
ready='' tries=0
while (( tries++ < 100 )); do
  sleep 0.2
  while zpty -r -t z chunk; do ready+=$chunk; done
  [[ $ready == *$'\n'P\>* ]] && break
done
for l in "$@"; do
  zpty -w -n z "$l"$'\t\t'
  out='' tries=0
  # Wait (at most 6 s) until zsh has listed something and redrawn the prompt.
  while (( tries++ < 30 )); do
    sleep 0.2
    while zpty -r -t z chunk; do out+=$chunk; done
    [[ $out == *$'\n'*P\>* ]] && break
  done
  print -r -- "== $l"
  print -r -- "${out//$'\r'/}"
  zpty -w -n z $'\C-u\n'
  sleep 0.2
  while zpty -r -t z chunk; do :; done
done
zpty -d z
