# Node tools: Stoplight Prism, the mock of Twilio's API (served from Twilio's own OpenAPI
# description) that the outbound SMS tests talk to, and axe-core, which the browser tests inject
# into every page to check accessibility. Node.js itself comes from system-packages.
.PHONY: node-tools

node_modules/.installed: package.json package-lock.json | system-packages
	@echo "==> installing the node tools (npm ci: @stoplight/prism-cli, axe-core)"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-tools: node_modules/.installed
