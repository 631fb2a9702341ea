#!/usr/bin/env bash
# Builds the tiny desktop image the docker backend's tests start: TigerVNC's Xvnc alone (no window
# manager, no terminal), assembled from this machine's own files and loaded with `docker import`, since
# no registry is reachable here. The entrypoint writes the VNC password from $VNC_PW and runs Xvnc on
# port 5901 on every interface of the container (the engine publishes it on a loopback address only).
# With $WEB_PORT set it also serves the home folder over HTTP (busybox httpd): a desktop with a web
# port, for the http relay mode.
#
#   scripts/build-desktop-image.sh SOCKET [IMAGE]     (IMAGE defaults to deskgate-test-desktop:latest)
#
# SOCKET is the Docker (or Podman) API socket. Idempotent: does nothing when the image already exists.
# Needs: tigervnc-standalone-server, tigervnc-tools (vncpasswd), x11-xkb-utils, xkb-data, busybox-static,
# docker.io.
set -euo pipefail

socket=${1:?usage: build-desktop-image.sh SOCKET [IMAGE]}
image=${2:-deskgate-test-desktop:latest}
docker_cli=${DOCKER_CLI:-docker}
docker=("$docker_cli" -H "unix://$socket")

if "${docker[@]}" image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/deskgate-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{bin,etc,tmp,home/desktop,usr/bin,usr/local/bin,usr/share/X11,usr/share/fonts}
chmod 1777 "$root/tmp"

# Copies FILE (following symlinks) to the same path under the root, keeping its mode.
copy_file() {
  local src=$1 dest=$root$2
  mkdir -p "$(dirname "$dest")"
  cp -L --preserve=mode "$src" "$dest"
}

# The programs, under the names the entrypoint and Xvnc use (Xvnc runs xkbcomp from /usr/bin and
# /bin/sh -c for it); Debian's Xvnc and vncpasswd are alternatives symlinks, copied as real files.
programs=(
  "$(readlink -f /usr/bin/Xvnc):/usr/bin/Xvnc"
  "$(readlink -f /usr/bin/vncpasswd):/usr/bin/vncpasswd"
  "$(readlink -f /usr/bin/xkbcomp):/usr/bin/xkbcomp"
  "$(readlink -f /bin/sh):/bin/sh"
)
for entry in "${programs[@]}"; do
  src=${entry%%:*}
  [[ -x "$src" ]] || { echo "build-desktop-image: $src is missing (install tigervnc-standalone-server tigervnc-tools x11-xkb-utils)" >&2; exit 1; }
  copy_file "$src" "${entry#*:}"
done

# Their shared libraries, at the paths ldd resolves them to (the dynamic loader included).
for entry in "${programs[@]}"; do
  ldd "${entry%%:*}" | awk '/=> \// { print $3 } /^\t\// { print $1 }'
done | sort -u | while read -r lib; do
  copy_file "$lib" "$lib"
done

# A static busybox, for its httpd only (no libraries to copy).
[[ -x /bin/busybox ]] || { echo "build-desktop-image: /bin/busybox is missing (install busybox-static)" >&2; exit 1; }
copy_file /bin/busybox /bin/busybox

# Keyboard maps (Xvnc compiles one at start-up) and the X11 fonts, if any; Xvnc also has built-in fonts.
cp -a /usr/share/X11/xkb "$root/usr/share/X11/xkb"
if [[ -d /usr/share/fonts/X11 ]]; then
  cp -a /usr/share/fonts/X11 "$root/usr/share/fonts/X11"
fi

printf 'root:x:0:0:root:/root:/bin/sh\ndesktop:x:1000:1000:desktop:/home/desktop:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\ndesktop:x:1000:\n' >"$root/etc/group"

# The entrypoint has only sh, vncpasswd and Xvnc (no coreutils). The password file lives in the
# container's /tmp, not in the user's home (bind-mounted and kept).
cat >"$root/usr/local/bin/deskgate-desktop" <<'EOF'
#!/bin/sh
set -eu
if [ -z "${VNC_PW:-}" ]; then
  echo "deskgate-desktop: VNC_PW is not set" >&2
  exit 2
fi
umask 077
printf '%s\n' "$VNC_PW" | vncpasswd -f >/tmp/.vncpasswd
unset VNC_PW
if [ -n "${WEB_PORT:-}" ]; then
  busybox httpd -f -p "$WEB_PORT" -h /home/desktop &
fi
exec Xvnc :1 -rfbport 5901 -localhost=0 -SecurityTypes VncAuth -PasswordFile /tmp/.vncpasswd \
  -UseBlacklist=0 -nolisten tcp -geometry "${VNC_GEOMETRY:-1280x800}" -depth "${VNC_DEPTH:-24}"
EOF
chmod 0755 "$root/usr/local/bin/deskgate-desktop"

tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
  "${docker[@]}" import \
    --change 'ENTRYPOINT ["/usr/local/bin/deskgate-desktop"]' \
    --change 'EXPOSE 5901/tcp' \
    --change 'ENV HOME=/home/desktop PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'WORKDIR /home/desktop' \
    - "$image" >/dev/null
echo "build-desktop-image: built $image ($(du -sh "$root" | cut -f1))"
