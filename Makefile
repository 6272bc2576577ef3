# mirrorforge: `make run` serves http://127.0.0.1:8080 with SQLite in ./data;
# `make test` checks formatting, lints and runs every test (SQLite and PostgreSQL).

SHELL := /bin/bash
CARGO ?= cargo
# Root installs directly; anyone else goes through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_HOST := 127.0.0.1
PG_PORT := 5432
# Gitea's API clients the compatibility test drives (tests/it/gitea_clients.rs): the one
# generated from Gitea's OpenAPI document, and an independent hand-written one.
GITEA_CLIENTS := target/gitea-clients
GITEA_CLIENT_PACKAGES := gitea-api-client==1.27.3 py-gitea==0.2.10

.PHONY: run test bench deps check-postgres

## run: build and serve on 127.0.0.1:8080, data (SQLite, repositories) in ./data
run:
	$(CARGO) run --bin mirrorforge -- serve

## test: install missing tools, check PostgreSQL, then fmt, clippy and the whole test suite
# `--tests`, not `--all-targets`: that would also run the benchmark (benches/, test = false) in
# the dev profile and print its table after the test summary, which must come last.
test: deps check-postgres
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace --doc
	$(CARGO) test --workspace --tests

## bench: release build; every row of BENCHMARKS.md: mirror transfers and HTTP against stock git
bench: deps
	$(CARGO) bench --bench mirror

# What the build and the tests need from Debian: git (the tests drive the real client and the
# server runs it), a C compiler, pkg-config and libssl-dev (git2 links the system OpenSSL),
# the openssl command (the https test makes its own certificate with it, and the webhook test's
# post-receive hook signs with it) and curl (that hook's HTTP call), aiosmtpd (the SMTP server
# that receives the notification emails in the tests), OpenSSH's sshd and ssh-keygen (the SSH
# remote the SSH mirror tests start, with a host key of its own), git-lfs (the stock LFS
# client the Git LFS tests push and clone with),
# headless Chromium with its WebDriver for the end-to-end browser test (fonts-liberation
# is only a recommendation of chromium's, but screenshots need a font), and for `make bench`
# lighttpd (the stock remote, with git's http-backend) and wrk (HTTP load).
deps:
	@missing=""; \
	command -v git >/dev/null 2>&1 || missing="$$missing git"; \
	command -v git-lfs >/dev/null 2>&1 || missing="$$missing git-lfs"; \
	command -v cc >/dev/null 2>&1 || missing="$$missing gcc libc6-dev"; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	command -v curl >/dev/null 2>&1 || missing="$$missing curl ca-certificates"; \
	/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing="$$missing python3-aiosmtpd"; \
	dpkg -s libssl-dev >/dev/null 2>&1 || missing="$$missing libssl-dev"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium fonts-liberation"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	test -x /usr/sbin/sshd || missing="$$missing openssh-server"; \
	command -v ssh-keygen >/dev/null 2>&1 || missing="$$missing openssh-client"; \
	command -v lighttpd >/dev/null 2>&1 || missing="$$missing lighttpd"; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi
	@$(GITEA_CLIENTS)/bin/python -c 'import gitea_api_client, gitea' >/dev/null 2>&1 || { \
		echo "installing Gitea's clients into $(GITEA_CLIENTS)"; \
		rm -rf $(GITEA_CLIENTS); \
		python3 -m venv $(GITEA_CLIENTS) || { \
			$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv && \
			/usr/bin/python3 -m venv $(GITEA_CLIENTS); }; \
		$(GITEA_CLIENTS)/bin/pip install --quiet $(GITEA_CLIENT_PACKAGES); \
	}

# The postgres variant of every integration test needs PostgreSQL on 127.0.0.1:5432
# (trust auth, database `test`). Without it they are skipped with a warning, or fail under CI.
check-postgres:
	@if command -v pg_isready >/dev/null 2>&1; then \
		pg_isready -q -h $(PG_HOST) -p $(PG_PORT) -t 5; \
	else \
		timeout 5 bash -c 'exec 3<>/dev/tcp/$(PG_HOST)/$(PG_PORT)' 2>/dev/null; \
	fi; \
	if [ $$? -eq 0 ]; then \
		echo "PostgreSQL is up at $(PG_HOST):$(PG_PORT)"; \
	else \
		echo "########################################################################"; \
		echo "##  PostgreSQL NOT reachable at $(PG_HOST):$(PG_PORT)"; \
		echo "##  the postgres variants of the integration tests will be SKIPPED"; \
		echo '##  (start it: pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start)'; \
		echo "########################################################################"; \
		if [ -n "$${CI:-}" ]; then echo "CI is set: failing." >&2; exit 1; fi; \
	fi
