# Sourced by scripts/fuzz.sh and fuzz/smoke.sh: the libFuzzer dictionary of each harness
# (fuzz/dict/), as a path relative to the source tree; nothing for a harness without one.
dict_for() {
  case $1 in
    entry | sheet_json | token_file) echo fuzz/dict/json.dict ;;
    election_toml | mapping_toml) echo fuzz/dict/toml.dict ;;
    http_*) echo fuzz/dict/http.dict ;;
    csv) echo fuzz/dict/csv.dict ;;
    note | checkpoint | tiles) echo fuzz/dict/note.dict ;;
  esac
}
