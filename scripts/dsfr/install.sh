#!/usr/bin/env bash
# Installs the State's design system (DSFR, npm package @gouvfr/dsfr) into DIR for
# `[ui] design = "dsfr"`: downloads the pinned version with `npm pack`, checks its sha512
# integrity against the value pinned here, and unpacks only `dist/`, `package.json` and the
# licence and terms of use (LICENSE.md, doc/legal/) into DIR. Nothing of the DSFR is kept
# in the repository or built into the binary.
#
# The DSFR's terms of use (DIR/doc/legal/cgu.md) reserve it, the Marianne font and the
# logo to the websites of State services (.gouv.fr): install it only for such a deployment.
#
# Usage: scripts/dsfr/install.sh DIR
set -euo pipefail

VERSION="1.15.3"
INTEGRITY="sha512-R9AALZc1LfZjtytWZMOaUIOHWTkllBZ/sZlsL8TpKZVgF3qUKXt/uNYh+L1D1Fh4p92ZqWxbtNcebsigBZe5pQ=="

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dir="$1"
for tool in npm openssl tar base64; do
    command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "@gouvfr/dsfr@$VERSION" --silent >/dev/null)
tarball="$work/gouvfr-dsfr-$VERSION.tgz"
[ -f "$tarball" ] || { echo "error: npm pack did not produce $tarball" >&2; exit 1; }

actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
    echo "error: integrity mismatch for @gouvfr/dsfr@$VERSION" >&2
    echo "  expected $INTEGRITY" >&2
    echo "  got      $actual" >&2
    exit 1
fi

mkdir -p "$work/unpacked"
tar -xzf "$tarball" -C "$work/unpacked" --no-same-owner --no-same-permissions \
    package/dist package/package.json package/LICENSE.md package/doc/legal
# The package's own links, if any, are not followed by the server but are not kept either.
find "$work/unpacked" -type l -delete

mkdir -p "$dir"
rm -rf "$dir/dist" "$dir/doc"
cp -R "$work/unpacked/package/." "$dir/"
echo "DSFR $VERSION installed in $dir (terms of use: $dir/doc/legal/cgu.md)"
