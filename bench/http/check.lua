-- bench/http/check-mixed.sh: each request is one dry-run check (POST /check) of an activity over the
-- demo's area of separation (il-sy), nothing stored (the token comes with -H).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"type":"activity","kind":"air_sortie","geometry":{"type":"Polygon","coordinates":'
	.. '[[[35.82,33.05],[35.95,33.05],[35.95,33.25],[35.82,33.25],[35.82,33.05]]]},'
	.. '"altitude":{"min_m":1000,"max_m":4000},'
	.. '"window":{"start":"2030-01-01T08:00:00Z","end":"2030-01-01T10:00:00Z"}}'
