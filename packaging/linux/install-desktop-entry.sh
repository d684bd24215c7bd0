#!/bin/sh
# Add Ensign Workbench to this user's application menu (or remove it with --uninstall):
# the .desktop file, pointing at the ensign-workbench beside this script, and the icons.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
entry=$data/applications/ensign-workbench.desktop
icons=$data/icons/hicolor

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$entry" "$icons"/*/apps/ensign-workbench.png "$icons"/scalable/apps/ensign-workbench.svg
    echo "removed $entry and the icons"
    exit 0
fi

mkdir -p "$data/applications"
sed "s|^Exec=.*|Exec=\"$here/ensign-workbench\"|" "$here/ensign-workbench.desktop" >"$entry"
for png in "$here"/_internal/resources/icons/ensign-workbench-*.png; do
    size=${png##*-}
    size=${size%.png}
    mkdir -p "$icons/${size}x${size}/apps"
    cp "$png" "$icons/${size}x${size}/apps/ensign-workbench.png"
done
mkdir -p "$icons/scalable/apps"
cp "$here/_internal/resources/icons/ensign-workbench.svg" "$icons/scalable/apps/"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$icons" || true
echo "installed $entry"
