-- SPDX-License-Identifier: MIT
-- soak.lua - wrk script for soak.sh: alternates the text and OpenMetrics
-- Accept headers on /metrics (every 8th request is /health) and counts
-- answers by status; done() prints "soak: requests=N status_2xx=N other=N".
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	n, ok, other = 0, 0, 0
end

local om = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"

function request()
	n = n + 1
	if n % 8 == 0 then
		return wrk.format("GET", "/health")
	elseif n % 2 == 0 then
		return wrk.format("GET", "/metrics", { ["Accept"] = om })
	end
	return wrk.format("GET", "/metrics")
end

function response(status, headers, body)
	if status >= 200 and status < 300 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
	local t_ok, t_other = 0, 0
	for _, t in ipairs(threads) do
		t_ok = t_ok + t:get("ok")
		t_other = t_other + t:get("other")
	end
	io.write(string.format("soak: requests=%d status_2xx=%d other=%d\n",
		summary.requests, t_ok, t_other))
end
