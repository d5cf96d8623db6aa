#!/usr/bin/env bash
# Fetches the files orgdesign's GraphiQL page runs on from the npm registry, at the
# exact versions manifest.txt pins, checks each against the manifest's SHA-256 and
# integrity value, and writes them into FOLDER for the server's offline mode
# ([graphiql] assets_dir). See README.md.
#
#   api/assets/graphiql/refresh.sh [FOLDER]         FOLDER defaults to ./graphiql-assets
#   api/assets/graphiql/refresh.sh --pin [FOLDER]   after changing versions in manifest.txt:
#                                                   rewrite its hashes from what was fetched
#
# Needs npm (and so node). `npm pack` checks each tarball against the integrity hash
# the registry publishes for it; the manifest's hashes then pin the files themselves.
# FOLDER is changed only when every file matches.
set -euo pipefail

usage() {
    sed -n '7,9p' "$0" | sed 's/^#//' >&2
    exit 2
}

here="$(cd "$(dirname "$0")" && pwd)"
manifest="$here/manifest.txt"
pin=false
if [ "${1:-}" = "--pin" ]; then
    pin=true
    shift
fi
case "${1:-}" in -*) usage ;; esac
[ $# -le 1 ] || usage
out="${1:-graphiql-assets}"

for tool in npm node tar; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "refresh.sh needs $tool (npm fetches the packages from the registry)" >&2
        exit 1
    fi
done

# The manifest's lines: file package version path sha256 sri.
entries() { grep -Ev '^[[:space:]]*(#|$)' "$manifest"; }

# "SHA-256-hex sha384-base64" of a file. node rather than sha256sum and openssl, which
# differ between systems; npm brings node anyway.
hashes() {
    node -e '
        const crypto = require("crypto");
        const bytes = require("fs").readFileSync(process.argv[1]);
        const hex = crypto.createHash("sha256").update(bytes).digest("hex");
        const sri = crypto.createHash("sha384").update(bytes).digest("base64");
        console.log(hex + " sha384-" + sri);
    ' "$1" </dev/null
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Each package once, unpacked into its own folder.
for spec in $(entries | awk '{ print $2 "@" $3 }' | sort -u); do
    mkdir -p "$work/$spec"
    echo "fetching $spec" >&2
    (cd "$work/$spec" && npm pack --silent "$spec" >/dev/null && tar -xzf ./*.tgz)
done

mkdir -p "$work/out"
failed=0
pinned=""
while read -r file package version path sha256 sri; do
    source="$work/$package@$version/package/$path"
    if [ ! -f "$source" ]; then
        echo "$package@$version has no $path" >&2
        failed=1
        continue
    fi
    read -r got_sha256 got_sri < <(hashes "$source")
    if $pin; then
        pinned+="$(printf '%-29s %-10s %-8s %-31s %s  %s' \
            "$file" "$package" "$version" "$path" "$got_sha256" "$got_sri")"$'\n'
    elif [ "$got_sha256" != "$sha256" ] || [ "$got_sri" != "$sri" ]; then
        echo "$package@$version's $path does not match manifest.txt:" >&2
        echo "  SHA-256 $got_sha256, integrity $got_sri" >&2
        echo "  pinned  $sha256, integrity $sri" >&2
        failed=1
        continue
    fi
    cp "$source" "$work/out/$file"
done < <(entries)
[ "$failed" = 0 ] || exit 1

if $pin; then
    { grep -E '^[[:space:]]*(#|$)' "$manifest"; printf '%s' "$pinned"; } >"$work/manifest.txt"
    cp "$work/manifest.txt" "$manifest"
    echo "manifest.txt pinned to what the registry gave; review it with git diff" >&2
fi

# The packages' licenses (all MIT) go with the copies, as they ask; orgdesign does not
# serve them.
for spec in $(entries | awk '{ print $2 "@" $3 }' | sort -u); do
    license="$work/$spec/package/LICENSE"
    [ -f "$license" ] && cp "$license" "$work/out/LICENSE.${spec%@*}"
done

mkdir -p "$out"
cp "$work"/out/* "$out"/
folder="$(cd "$out" && pwd)"
cat <<EOF
GraphiQL's files are in $folder, checked against manifest.txt.
To have orgdesign serve them itself (offline mode), set
    ORGDESIGN_GRAPHIQL__ASSETS_DIR=$folder
or, in orgdesign.toml,
    [graphiql]
    assets_dir = "$folder"
EOF
