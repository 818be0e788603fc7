# hoptrace: one image for the agent (default) and the hub. An agent with its Redis: deploy/compose.yaml.
#   docker build -t hoptrace .
#   docker run --rm -p 5070:5070/udp -v /etc/hoptrace:/etc/hoptrace:ro hoptrace --config /etc/hoptrace/agent.yaml
#   docker run --rm -p 8080:8080 -e HOPTRACE_HEALTH_PORT=8080 --entrypoint hoptrace-hub hoptrace serve --config /etc/hoptrace/hub.yaml
# On `docker stop` (SIGTERM) either program finishes its work under way within shutdown.timeoutSec (10 s by
# default) and exits 0; give it longer than that before the SIGKILL: `docker stop -t 15`, compose
# `stop_grace_period: 15s`. Not built on the machine this repository is developed on (no Docker there).

# ---- build: compile TypeScript with the dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto proto
COPY config config
COPY agent agent
COPY hub hub
COPY sim sim
RUN npm run build && npm prune --omit=dev

# ---- runtime: production dependencies and dist only, non-root ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /opt/hoptrace
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY config/examples /etc/hoptrace/examples
COPY hub/ui dist/hub/ui
RUN ln -s /opt/hoptrace/dist/agent/cli.js /usr/local/bin/hoptrace-agent \
 && ln -s /opt/hoptrace/dist/hub/cli.js /usr/local/bin/hoptrace-hub \
 && chmod +x dist/agent/cli.js dist/hub/cli.js
USER node
# SIP policy server (UDP/TCP, the port of config/examples/agent.yaml), HEP collector, agent health/metrics, hub API/UI
EXPOSE 5070/udp 5070/tcp 9060/udp 9060/tcp 9091/tcp 8080/tcp
# The agent serves /healthz on its http.listen (default 127.0.0.1:9091 inside the container).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HOPTRACE_HEALTH_PORT||'9091')+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The agent runs with a small young generation (HOPTRACE_AGENT_SEMI_SPACE_MB, V8's --max-semi-space-size, 2 when
# unset or empty) and an explicit collection after each full DNO sync (config/heap.ts): with 3 M numbers 134 MB
# RSS for the syncing instance, 158 MB with 8 (over the 150 MB budget). A site whose CDR sources write near
# 100,000 records a second sets 8 and gives the agent that memory (bench/README.md, CDR ingestion).
ENTRYPOINT ["/bin/sh", "-c", "exec node --expose-gc --max-semi-space-size=\"${HOPTRACE_AGENT_SEMI_SPACE_MB:-2}\" /opt/hoptrace/dist/agent/cli.js \"$@\"", "hoptrace-agent"]
CMD ["--config", "/etc/hoptrace/agent.yaml"]
