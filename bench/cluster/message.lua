-- wrk: one durable hotline message per request (POST …/messages, 201 after commit)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TQ_TOKEN")
wrk.body = '{"to":"all","precedence":"routine","subject":"bench","body":"durable hotline write"}'
function response(status, headers, body)
	if status ~= 201 then io.stderr:write("status " .. status .. "\n") end
end
