# NATS server with JetStream for the scale-out tests (sourced by scripts/test.sh; also by hand). Installs Debian's
# nats-server when missing and exports GUMSHOE_TEST_NATS_SERVER (its path): the cluster tests start their own
# three-node JetStream clusters on free 127.0.0.1 ports, because they kill nodes.
_gs_nats_start() {
  if ! command -v nats-server >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nats-server >/dev/null \
      || { echo "nats.sh: cannot install nats-server" >&2; return 1; }
  fi
  GUMSHOE_TEST_NATS_SERVER=$(command -v nats-server)
  export GUMSHOE_TEST_NATS_SERVER
}
_gs_nats_start || echo "nats.sh: nats-server is not available; the cluster tests will fail" >&2
