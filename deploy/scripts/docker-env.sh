#!/usr/bin/env bash
# Sourced by the container tests: makes sure a Docker engine runs here and an offline Debian base image exists.
#   docker_ready        0 when dockerd answers (installing docker.io/docker-compose/debootstrap and starting dockerd
#                       as root when needed); otherwise prints why and returns 1 (the caller skips with that reason)
#   local_base IMAGE    imports a debootstrapped bookworm minbase as IMAGE unless it exists (no registry needed), with
#                       what the official runtime-deps image adds (libssl3, libicu72, ca-certificates, tzdata)
RUNTIME_DEPS=libssl3,libicu72,ca-certificates,tzdata

docker_ready() {
  if [ "$(id -u)" -ne 0 ]; then echo "skipped: not root (dockerd cannot be started here)"; return 1; fi
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; } \
      || { echo "skipped: apt-get install ${need[*]} failed"; return 1; }
  fi
  if ! docker info >/dev/null 2>&1; then
    echo "starting dockerd (log: /tmp/dockerd.log)"
    (dockerd >/tmp/dockerd.log 2>&1 &)
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "skipped: dockerd did not start: $(tail -3 /tmp/dockerd.log | tr '\n' ' ')"; return 1; }
  fi
}

local_base() {
  local image=$1
  docker image inspect "$image" >/dev/null 2>&1 && return 0
  local dir
  dir=$(mktemp -d)
  echo "debootstrap --variant=minbase --include=$RUNTIME_DEPS bookworm -> $image"
  debootstrap --variant=minbase --include="$RUNTIME_DEPS" bookworm "$dir" >/tmp/debootstrap.log 2>&1 || { echo "debootstrap failed: $(tail -3 /tmp/debootstrap.log)"; rm -rf "$dir"; return 1; }
  tar -C "$dir" -c . | docker import - "$image" >/dev/null
  rm -rf "$dir"
}
