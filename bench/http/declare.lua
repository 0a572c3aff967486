-- bench/http/check-mixed.sh: each request declares one activity in il-sy (the engine changes, a
-- conflict may open, one durable commit), each in a window of its own, away from the checked area
-- (the token comes with -H).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
	n = n + 1
	local day = 1 + (n % 28)
	local body = string.format('{"kind":"uav","geometry":{"type":"Point","coordinates":[36.30,32.80]},'
		.. '"radius_m":500,"altitude":{"min_m":0,"max_m":1500},'
		.. '"window":{"start":"2031-02-%02dT%02d:00:00Z","end":"2031-02-%02dT%02d:30:00Z"}}',
		day, n % 24, day, n % 24)
	return wrk.format(nil, nil, nil, body)
end
