# `make services`: a local PostgreSQL and Redis for development and tests (the Debian packages from
# system-packages.mk), their data under instance/pg and instance/redis, started in the background on
# fixed loopback ports; prints the DATABASE_URL and REDIS_URL to use (e.g. `eval $(make -s services)`
# then `make run`). Trust authentication on 127.0.0.1: for a developer's machine only.
# `make services-stop` stops both; the data stays.
.PHONY: services services-stop
PG_PORT      ?= 5433
REDIS_PORT   ?= 6380
SERVICES_DIR ?= $(CURDIR)/instance
PG_DATA      := $(SERVICES_DIR)/pg
PG_BIN       = $(shell ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
# PostgreSQL refuses to run as root: as root it runs as the `postgres` system user.
AS_PG        = $(if $(filter 0,$(shell id -u)),runuser -u postgres --,)

services: system-packages
	@mkdir -p $(PG_DATA) $(SERVICES_DIR)/redis
	@if [ ! -f $(PG_DATA)/PG_VERSION ]; then \
		if [ "$$(id -u)" = 0 ]; then chown postgres $(PG_DATA); chmod 700 $(PG_DATA); fi; \
		echo "==> initdb $(PG_DATA)" >&2; \
		LC_ALL=C.UTF-8 $(AS_PG) $(PG_BIN)/initdb -D $(PG_DATA) -U signpost --auth=trust -E UTF8 >/dev/null; \
	fi
	@$(AS_PG) $(PG_BIN)/pg_ctl -D $(PG_DATA) status >/dev/null 2>&1 || \
		$(AS_PG) $(PG_BIN)/pg_ctl -D $(PG_DATA) -l $(PG_DATA)/server.log -w \
			-o "-p $(PG_PORT) -h 127.0.0.1 -k $(PG_DATA)" start >&2
	@$(PG_BIN)/psql -h 127.0.0.1 -p $(PG_PORT) -U signpost -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = 'signpost'" | grep -q 1 || \
		$(PG_BIN)/createdb -h 127.0.0.1 -p $(PG_PORT) -U signpost signpost
	@redis-cli -h 127.0.0.1 -p $(REDIS_PORT) ping >/dev/null 2>&1 || \
		redis-server --port $(REDIS_PORT) --bind 127.0.0.1 --dir $(SERVICES_DIR)/redis --appendonly yes \
			--daemonize yes --pidfile $(SERVICES_DIR)/redis/redis.pid --logfile $(SERVICES_DIR)/redis/redis.log
	@echo "export DATABASE_URL=postgresql://signpost@127.0.0.1:$(PG_PORT)/signpost"
	@echo "export REDIS_URL=redis://127.0.0.1:$(REDIS_PORT)/0"

services-stop:
	-@test -f $(PG_DATA)/PG_VERSION && $(AS_PG) $(PG_BIN)/pg_ctl -D $(PG_DATA) -m fast stop
	-@redis-cli -h 127.0.0.1 -p $(REDIS_PORT) shutdown 2>/dev/null
