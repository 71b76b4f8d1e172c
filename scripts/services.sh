#!/usr/bin/env bash
# Make sure the local services the tests need are there: RabbitMQ (installed and started when
# missing), promtool (Debian's prometheus package) and, for the browser test, Debian's chromium.
set -euo pipefail

apt_updated=0
apt_install() {
  if ((apt_updated == 0)); then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "services: installing rabbitmq-server"
  apt_install rabbitmq-server
fi
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  echo "services: starting RabbitMQ"
  rabbitmq-server -detached
fi
for _ in $(seq 1 60); do
  if rabbitmqctl -q await_startup >/dev/null 2>&1; then break; fi
  sleep 1
done
rabbitmqctl -q status >/dev/null 2>&1 || { echo "services: RabbitMQ did not start" >&2; exit 1; }

if ! command -v promtool >/dev/null 2>&1; then
  # promtool checks deploy/prometheus/alerts.yml (tests/deploy); the package's server is not started
  echo "services: installing prometheus (for promtool)"
  apt_install --no-install-recommends prometheus
fi
if [[ ! -x /usr/bin/chromium ]]; then
  echo "services: installing chromium (browser tests)"
  apt_install chromium
fi
echo "services: RabbitMQ up; chromium at /usr/bin/chromium"
