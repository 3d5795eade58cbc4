# Node tools: Stoplight Prism, the mock of Twilio's API (served from Twilio's own OpenAPI
# description) that the outbound SMS tests talk to. Node.js itself comes from system-packages.
.PHONY: node-tools

node_modules/.installed: package.json package-lock.json | system-packages
	@echo "==> installing the Twilio mock (npm ci: @stoplight/prism-cli)"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-tools: node_modules/.installed
