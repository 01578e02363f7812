#!/usr/bin/env bash
# Start the servers the tests use (PostgreSQL, Redis, RabbitMQ) where they are not
# already answering on loopback. Only starts; never stops anything it did not start.
set -uo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! listening 5432 && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! listening 6379 && command -v redis-server >/dev/null; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
if ! listening 5672 && command -v rabbitmq-server >/dev/null; then
  rabbitmq-server -detached || true
  for _ in $(seq 1 60); do listening 5672 && break; sleep 1; done
fi
for port in 5432 6379 5672; do
  listening "$port" || echo "services: nothing answers on 127.0.0.1:$port; tests that need it will say so"
done
exit 0
