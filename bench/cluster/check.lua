-- wrk: one dry-run conflict check per request (POST …/check; nothing stored), at a random place
-- in southern Syria so that checks meet the demo's zones and activities.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TQ_TOKEN")
math.randomseed(os.time())
function request()
	local lon = 35.7 + math.random() * 0.8
	local lat = 32.6 + math.random() * 0.8
	local body = string.format('{"type":"activity","kind":"air_sortie","geometry":{"type":"Point","coordinates":[%.5f,%.5f]},'
		.. '"radius_m":3000,"altitude":{"min_m":500,"max_m":4000},'
		.. '"window":{"start":"2031-01-01T10:00:00Z","end":"2031-01-01T11:00:00Z"}}', lon, lat)
	return wrk.format(nil, nil, nil, body)
end
